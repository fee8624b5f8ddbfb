package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/edgeprint/edgeprint/docstore"
	"github.com/edgeprint/edgeprint/relay/store"
)

// openTimeout is how long Open waits for the file lock another process
// holds before giving up with store.ErrInUse.
const openTimeout = time.Second

// Bucket names. Records of a company are keyed "companyID/id" so that a
// prefix scan lists one company and nothing else.
var (
	bucketMeta        = []byte("meta")
	bucketCompanies   = []byte("companies")        // id → Company
	bucketCompanyCode = []byte("company_codes")    // code → id
	bucketUsers       = []byte("users")            // company/id → User
	bucketUserEmails  = []byte("user_emails")      // company/email → user id
	bucketUserCards   = []byte("user_cards")       // company/card → user id
	bucketTokens      = []byte("tokens")           // sha256 → Token
	bucketCodes       = []byte("activation_codes") // sha256 → ActivationCode
	bucketAgents      = []byte("agents")           // company/id → Agent
	bucketAgentIndex  = []byte("agent_index")      // id → company id
	bucketPrinters    = []byte("printers")         // company/id → Printer
	bucketReaders     = []byte("readers")          // company/id → Reader
	bucketJobs        = []byte("jobs")             // company/id → Job

	keySchemaVersion = []byte("schema_version")
)

// DB is a store.Store in one bbolt file, with the documents in a
// directory beside it. Rate limits, periodic-run claims and tunnels live
// in memory: an embedded store serves one relay process.
type DB struct {
	db      *bolt.DB
	docs    *docstore.Store
	limits  limits
	runs    runs
	cluster *cluster
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the store file at path and brings its
// schema up to date; documents live in the directory "documents" beside
// it. It fails with store.ErrInUse when another process,
// such as a running relay, has the file open.
func Open(path string) (*DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (%s is locked)", store.ErrInUse, path)
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(db, migrations); err != nil {
		db.Close()
		return nil, err
	}
	if err := ensureJobOwnerIndex(db); err != nil { // jobindex.go
		db.Close()
		return nil, err
	}
	docs, err := docstore.Open(filepath.Join(filepath.Dir(path), DocumentsDir))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return &DB{db: db, docs: docs, cluster: newCluster()}, nil
}

// Close stops the listener and closes the file.
func (d *DB) Close() error {
	d.cluster.close()
	return d.db.Close()
}

// Ping runs an empty read transaction.
func (d *DB) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("store: meta bucket missing")
		}
		return nil
	})
}

// SchemaVersion is the number of migrations applied to the file.
func (d *DB) SchemaVersion() (int, error) {
	var v int
	err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = schemaVersion(tx)
		return err
	})
	return v, err
}

func (d *DB) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.db.View(fn)
}

func (d *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.db.Update(fn)
}

// key joins a company id and a record id (or index value). Ids never hold
// '/', so a company's keys are exactly those with its prefix.
func key(companyID, id string) ([]byte, error) {
	if err := checkPart(companyID); err != nil {
		return nil, err
	}
	if id == "" || len(id) > 256 {
		return nil, fmt.Errorf("store: invalid key %q", id)
	}
	return []byte(companyID + "/" + id), nil
}

func checkPart(s string) error {
	if s == "" || len(s) > 128 || strings.Contains(s, "/") {
		return fmt.Errorf("store: invalid id %q", s)
	}
	return nil
}

func get(b *bolt.Bucket, k []byte, v any) error {
	raw := b.Get(k)
	if raw == nil {
		return store.ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: decode %s: %w", k, err)
	}
	return nil
}

func put(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode: %w", err)
	}
	return b.Put(k, raw)
}

// list decodes every record of company in b, in key order.
func list[T any](b *bolt.Bucket, companyID string) ([]T, error) {
	if err := checkPart(companyID); err != nil {
		return nil, err
	}
	prefix := []byte(companyID + "/")
	out := []T{}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, fmt.Errorf("store: decode %s: %w", k, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// sortBy orders records by key, then id, as store.Store promises.
func sortBy[T any](recs []T, key func(T) string, id func(T) string) {
	slices.SortStableFunc(recs, func(a, b T) int {
		if c := strings.Compare(key(a), key(b)); c != 0 {
			return c
		}
		return strings.Compare(id(a), id(b))
	})
}

// putUnique sets k to v in b unless k is taken.
func putUnique(b *bolt.Bucket, k, v []byte, what string) error {
	if b.Get(k) != nil {
		return &store.ConflictError{What: what}
	}
	return b.Put(k, v)
}
