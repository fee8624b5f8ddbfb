package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// defaultMaxConns sizes the pool when the URL sets no pool_max_conns:
	// enough for a replica's concurrent requests, few enough that several
	// replicas fit in PostgreSQL's default max_connections (100).
	defaultMaxConns = 20
	// maxKey bounds ids and other keys a record is indexed by: far below
	// the 2,700-byte limit of a btree entry.
	maxKey = 256
)

// DB is a store.Store (and every interface of store/cluster.go) in a
// PostgreSQL database. Each DB is one replica.
type DB struct {
	pool    *pgxpool.Pool
	replica string // ReplicaID

	listener *listener // listener.go

	// writeSlots bounds the documents written at once: each holds a pooled
	// connection for as long as its upload streams in, and slow uploads
	// must not take every connection from the replica's other queries.
	writeSlots chan struct{}

	closeOnce sync.Once
	closeErr  error
}

var (
	_ store.Store         = (*DB)(nil)
	_ store.SessionStore  = (*DB)(nil)
	_ store.LimitStore    = (*DB)(nil)
	_ store.RunStore      = (*DB)(nil)
	_ store.DocumentStore = (*DB)(nil)
	_ store.ClusterStore  = (*DB)(nil)
	_ store.ExportStore   = (*DB)(nil)
)

// Open connects to the database at url (a postgres:// URL or key=value
// string), brings its schema up to date and starts listening for this
// replica's messages.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: database url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	d := &DB{pool: pool, replica: newReplicaID(), writeSlots: make(chan struct{}, max(1, cfg.MaxConns/2))}
	if d.listener, err = startListener(ctx, d, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// replicaIDBytes is the randomness of a replica id; its hex form keeps
// channel names (edgeprint_<id>) well under PostgreSQL's 63 bytes.
const replicaIDBytes = 12

func newReplicaID() string {
	b := make([]byte, replicaIDBytes)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Close stops listening, forgets this replica (its tunnels go with it)
// and closes the pool. It may be called more than once.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		d.listener.stop()
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if _, err := d.pool.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, d.replica); err != nil {
			d.closeErr = fmt.Errorf("store: forget replica: %w", err)
		}
		d.pool.Close()
	})
	return d.closeErr
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// SchemaVersion is the number of schema migrations applied.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// inTx runs fn in a transaction, committed if fn returns nil.
func (d *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, d.pool, fn)
}

// Error mapping. PostgreSQL reports which constraint refused a row;
// the store's callers want ErrNotFound or a *store.ConflictError.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// violation returns the constraint err names when it is a violation of
// kind code, else "".
func violation(err error, code string) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == code {
		return pe.ConstraintName
	}
	return ""
}

// mapErr turns constraint violations into the store's errors: a taken
// unique key is a conflict named by what[constraint] (or the constraint),
// a missing parent (the company, a printer) is ErrNotFound.
func mapErr(err error, what map[string]string) error {
	if err == nil {
		return nil
	}
	if c := violation(err, codeUniqueViolation); c != "" {
		if w, ok := what[c]; ok {
			return &store.ConflictError{What: w}
		}
		return &store.ConflictError{What: strings.TrimSuffix(c, "_pkey")}
	}
	if violation(err, codeForeignKeyViolation) != "" {
		return store.ErrNotFound
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *store.ConflictError
	if errors.As(err, &se) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrCodeUnusable) {
		return err
	}
	if strings.HasPrefix(err.Error(), "store:") {
		return err
	}
	return fmt.Errorf("store: %w", err)
}

// validKey reports whether s can be a key: PostgreSQL text holds neither
// NUL nor invalid UTF-8, and keys are bounded. Look-ups of a key that
// cannot be stored find nothing.
func validKey(s string) bool {
	return s != "" && len(s) <= maxKey && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// clean is s as a text column can hold it, for columns that only order
// or filter records (names, addresses): the data column keeps s itself.
func clean(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

func checkKeys(keys ...string) error {
	for _, k := range keys {
		if !validKey(k) {
			return fmt.Errorf("store: invalid key %.40q", k)
		}
	}
	return nil
}

// ns is t in Unix nanoseconds, the form times take in columns that order
// or cut off records: exact like time.Time, where timestamptz keeps only
// microseconds. Times outside int64 nanoseconds (the zero Time) saturate,
// which keeps their order.
func ns(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func fromNS(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// encode is the JSON a record's data column holds (the same encoding as
// store/bolt's values).
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: encode: %w", err)
	}
	return b, nil
}

func decode[T any](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("store: decode: %w", err)
	}
	return v, nil
}

// queryList runs sql and decodes the data column of every row. Lists are
// never nil.
func queryList[T any](ctx context.Context, q querier, sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err, nil)
	}
	out := []T{}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return nil, mapErr(err, nil)
		}
		v, err := decode[T](raw)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, nil)
	}
	return out, nil
}

// queryOne decodes the data column of the one row sql returns;
// ErrNotFound when there is none.
func queryOne[T any](ctx context.Context, q querier, sql string, args ...any) (T, error) {
	var raw []byte
	if err := q.QueryRow(ctx, sql, args...).Scan(&raw); err != nil {
		var zero T
		return zero, mapErr(err, nil)
	}
	return decode[T](raw)
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}
