package agent

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/docstore"
)

// Buckets of the agent database.
var (
	bucketMeta     = []byte("meta")
	bucketJobs     = []byte("jobs")
	bucketCards    = []byte("cards")
	bucketSettings = []byte("settings")
	bucketOutbox   = []byte("outbox")
	keySchema      = []byte("schema_version")
	keySiteConfig  = []byte("site_config")
	keyQueueUUID   = []byte("queue_uuid")
)

// migrations bring a database from version i to i+1; the schema version is
// len(migrations). Append, never edit.
var migrations = []func(tx *bolt.Tx) error{
	func(tx *bolt.Tx) error { // 0 → 1: the first layout
		for _, b := range [][]byte{bucketJobs, bucketCards, bucketSettings, bucketOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	migratePrinters, // 1 → 2: discovered printers (store_printers.go)
}

const storeOpenTimeout = 2 * time.Second

// ErrJobNotFound is returned for an unknown job id.
var ErrJobNotFound = errors.New("agent: job not found")

// Store is the agent's bbolt database.
type Store struct {
	db     *bolt.DB
	byUser userJobs // jobindex.go
}

// JobRecord is a spooled job. The document itself is in the spool directory,
// encrypted with Key.
type JobRecord struct {
	ID       string    `json:"id"`
	Number   int       `json:"number"` // the IPP job-id
	User     User      `json:"user"`
	Name     string    `json:"name"`
	Format   string    `json:"format"`
	Size     int64     `json:"size"`
	Created  time.Time `json:"created"`
	Key      []byte    `json:"key"`
	Uploaded bool      `json:"uploaded"`
	// Delivery state (lifecycle.go): empty or "held" until released.
	State    string    `json:"state,omitempty"`
	Reason   string    `json:"reason,omitempty"` // why the last release failed
	Attempts int       `json:"attempts,omitempty"`
	StateAt  time.Time `json:"state_at,omitzero"`
	// UserHeld: the owner sent IPP Hold-Job; a badge does not release
	// the job until Release-Job.
	UserHeld bool `json:"user_held,omitempty"`
	// PINHash is the job-password (PIN) the client set, hashed with the
	// job id; empty for none.
	PINHash []byte `json:"pin_hash,omitempty"`
	// Loc is where the document is when it is in a spool segment (small
	// documents); nil when it has its own file.
	Loc *docstore.Loc `json:"loc,omitempty"`
}

// User is a relay account as the agent knows it.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// StateReport is a job state change waiting to reach the relay.
type StateReport struct {
	JobID     string `json:"-"`
	State     string `json:"state"`
	PrinterID string `json:"printer_id"`
	Reason    string `json:"reason,omitempty"`
}

// OpenStore opens (creating) the database at path and migrates it.
func OpenStore(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: storeOpenTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("agent: database %s is in use by another edgeprint agent", path)
	} else if err != nil {
		return nil, fmt.Errorf("agent: open database: %w", err)
	}
	s := &Store{db: db}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.buildIndex(); err != nil {
		db.Close()
		return nil, fmt.Errorf("agent: index jobs: %w", err)
	}
	return s, nil
}

func (s *Store) migrate() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		var v uint64
		if b := meta.Get(keySchema); b != nil {
			v = binary.BigEndian.Uint64(b)
		}
		if v > uint64(len(migrations)) {
			return fmt.Errorf("agent: database schema %d is newer than this agent (%d): upgrade the agent", v, len(migrations))
		}
		for ; v < uint64(len(migrations)); v++ {
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("agent: migrate database to %d: %w", v+1, err)
			}
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, v))
	})
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// AddJob stores one job (see AddJobs); it returns once the record is on
// disk.
func (s *Store) AddJob(j *JobRecord) error {
	return s.AddJobs([]*JobRecord{j})
}

// AddJobs stores jobs in one transaction, one fsync for all (the spool's
// group commit). A job with Number 0 gets the next one; a job with a
// Number (reserved by NextJobNumber) keeps it.
func (s *Store) AddJobs(jobs []*JobRecord) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return addJobs(tx.Bucket(bucketJobs), jobs)
	})
	if err == nil {
		for _, j := range jobs {
			s.byUser.add(j.User.ID, j.ID)
		}
	}
	return err
}

func addJobs(b *bolt.Bucket, jobs []*JobRecord) error {
	for _, j := range jobs {
		if j.Number == 0 {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			// IPP job ids are int32; wrap well before that.
			j.Number = int(seq%(1<<31-1)) + 1
		} else if uint64(j.Number) > b.Sequence() {
			if err := b.SetSequence(uint64(j.Number)); err != nil {
				return err
			}
		}
		if err := putJSON(b, []byte(j.ID), j); err != nil {
			return err
		}
	}
	return nil
}

// JobSequence is the last job number handed out, to seed NextJobNumber.
func (s *Store) JobSequence() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketJobs).Sequence()
		return nil
	})
	return seq, err
}

// Job returns one job.
func (s *Store) Job(id string) (JobRecord, error) {
	var j JobRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketJobs).Get([]byte(id))
		if v == nil {
			return ErrJobNotFound
		}
		return json.Unmarshal(v, &j)
	})
	return j, err
}

// Jobs returns the jobs for which keep returns true.
func (s *Store) Jobs(keep func(JobRecord) bool) ([]JobRecord, error) {
	var out []JobRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(_, v []byte) error {
			var j JobRecord
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			if keep(j) {
				out = append(out, j)
			}
			return nil
		})
	})
	return out, err
}

// MarkUploaded records that the relay holds a copy of the job.
func (s *Store) MarkUploaded(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		var j JobRecord
		v := b.Get([]byte(id))
		if v == nil {
			return nil // printed meanwhile
		}
		if err := json.Unmarshal(v, &j); err != nil {
			return err
		}
		j.Uploaded = true
		return putJSON(b, []byte(id), j)
	})
}

// FinishJob removes a printed job's record and queues its state report for
// the relay, in one transaction, so the report cannot be lost.
func (s *Store) FinishJob(r StateReport) error {
	var user string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		if v := b.Get([]byte(r.JobID)); v != nil {
			var j struct {
				User User `json:"user"`
			}
			if json.Unmarshal(v, &j) == nil {
				user = j.User.ID
			}
		}
		if err := b.Delete([]byte(r.JobID)); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketOutbox), []byte(r.JobID), r)
	})
	if err == nil && user != "" {
		s.byUser.remove(user, r.JobID)
	}
	return err
}

// Reports returns the state reports not yet delivered.
func (s *Store) Reports() ([]StateReport, error) {
	var out []StateReport
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			var r StateReport
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			r.JobID = string(k)
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// DeleteReport drops a delivered report.
func (s *Store) DeleteReport(jobID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).Delete([]byte(jobID))
	})
}

// SaveSiteConfig keeps the relay's latest configuration for offline use.
func (s *Store) SaveSiteConfig(c SiteConfig) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketSettings), keySiteConfig, c)
	})
}

// SiteConfig returns the last configuration the relay sent.
func (s *Store) SiteConfig() (SiteConfig, error) {
	var c SiteConfig
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSettings).Get(keySiteConfig); v != nil {
			return json.Unmarshal(v, &c)
		}
		return nil
	})
	return c, err
}

// QueueUUID returns the print queue's UUID, made once and kept, so clients
// that remember the queue keep recognising it.
func (s *Store) QueueUUID(newUUID func() string) (string, error) {
	var id string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if v := b.Get(keyQueueUUID); v != nil {
			id = string(v)
			return nil
		}
		id = newUUID()
		return b.Put(keyQueueUUID, []byte(id))
	})
	return id, err
}

// CacheCard remembers which user a card belongs to; the card is stored
// hashed.
func (s *Store) CacheCard(card string, u User) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketCards), cardKey(card), u)
	})
}

// CachedCard returns the user last seen for a card.
func (s *Store) CachedCard(card string) (User, bool, error) {
	var u User
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCards).Get(cardKey(card))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &u)
	})
	return u, ok, err
}

func cardKey(card string) []byte {
	sum := sha256.Sum256([]byte("edgeprint-card:" + card))
	return []byte(hex.EncodeToString(sum[:]))
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
