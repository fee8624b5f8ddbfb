package agent

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/docstore"
)

// walMax is the size past which the next batch starts a new log file.
const walMax = 16 << 20

// maxWALFrame bounds one frame read back (a batch of records).
const maxWALFrame = 64 << 20

// walPos is a position in the record log: the end of a frame.
type walPos struct {
	ID  uint64 `json:"id"`
	Off int64  `json:"off"`
}

// wal is the spool's record log. The group commit writes a batch's records
// here as one frame (sealed with the spool key, which lives in the
// database: the log alone does not give the document keys away) and makes
// it durable with one fdatasync, alongside the segments'. The records reach
// bbolt afterwards, off the answer's path, with the log position they came
// from; at start, frames past that position are applied again.
//
// Only the group commit's leader appends (one at a time); the applier
// removes files it has wholly applied.
type wal struct {
	dir  string
	aead cipher.AEAD

	mu   sync.Mutex
	f    *os.File
	id   uint64
	size int64
	next uint64
}

func openWAL(dir string, key []byte) (*wal, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("agent: wal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("agent: wal: %w", err)
	}
	w := &wal{dir: dir, aead: aead, next: 1}
	ids, err := w.ids()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		w.next = max(w.next, id+1)
	}
	return w, nil
}

func (w *wal) path(id uint64) string {
	return filepath.Join(w.dir, fmt.Sprintf("wal-%016x.log", id))
}

func (w *wal) ids() ([]uint64, error) {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, fmt.Errorf("agent: wal: %w", err)
	}
	var ids []uint64
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "wal-")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, ".log")
		if id, err := strconv.ParseUint(name, 16, 64); ok && err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// append writes recs as one frame and returns once it is durable, with the
// position after it. A new file is started at the first append after
// opening (so a torn tail of an earlier run is never followed by frames)
// and past walMax.
func (w *wal) append(recs []*JobRecord) (walPos, error) {
	plain, err := json.Marshal(recs)
	if err != nil {
		return walPos{}, err
	}
	nonce := make([]byte, w.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return walPos{}, err
	}
	body := w.aead.Seal(nonce, nonce, plain, nil)
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	frame = append(frame, body...)

	w.mu.Lock()
	if w.f == nil || w.size > walMax {
		if err := w.rotateLocked(); err != nil {
			w.mu.Unlock()
			return walPos{}, err
		}
	}
	f := w.f
	if _, err := f.Write(frame); err != nil {
		// The tail is unknown now: the next batch starts a new file.
		w.f.Close()
		w.f = nil
		w.mu.Unlock()
		return walPos{}, fmt.Errorf("agent: wal: %w", err)
	}
	w.size += int64(len(frame))
	pos := walPos{ID: w.id, Off: w.size}
	w.mu.Unlock()
	if err := docstore.DataSync(f); err != nil {
		return walPos{}, fmt.Errorf("agent: wal: fsync: %w", err)
	}
	return pos, nil
}

func (w *wal) rotateLocked() error {
	if w.f != nil {
		w.f.Close()
	}
	id := w.next
	f, err := os.OpenFile(w.path(id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("agent: wal: %w", err)
	}
	if err := docstore.SyncDirOf(w.dir); err != nil {
		f.Close()
		return err
	}
	w.f, w.id, w.size, w.next = f, id, 0, id+1
	return nil
}

// replay calls apply, in order, with every whole frame after from. A frame
// that does not read back (torn by a crash: its batch was never
// acknowledged) ends its file.
func (w *wal) replay(from walPos, apply func([]*JobRecord, walPos) error) error {
	ids, err := w.ids()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id < from.ID {
			continue
		}
		data, err := os.ReadFile(w.path(id))
		if err != nil {
			return fmt.Errorf("agent: wal: %w", err)
		}
		off := int64(0)
		if id == from.ID {
			off = from.Off
		}
		for off+4 <= int64(len(data)) {
			n := int64(binary.BigEndian.Uint32(data[off:]))
			if n > maxWALFrame || off+4+n > int64(len(data)) || n < int64(w.aead.NonceSize()) {
				break
			}
			body := data[off+4 : off+4+n]
			ns := w.aead.NonceSize()
			plain, err := w.aead.Open(nil, body[:ns], body[ns:], nil)
			if err != nil {
				break
			}
			var recs []*JobRecord
			if err := json.NewDecoder(bytes.NewReader(plain)).Decode(&recs); err != nil {
				break
			}
			off += 4 + n
			if err := apply(recs, walPos{ID: id, Off: off}); err != nil {
				return err
			}
		}
	}
	return nil
}

// prune removes the log files wholly before pos.
func (w *wal) prune(pos walPos) {
	ids, err := w.ids()
	if err != nil {
		return
	}
	w.mu.Lock()
	cur := w.id
	if w.f == nil {
		cur = 0
	}
	w.mu.Unlock()
	for _, id := range ids {
		if id < pos.ID && id != cur {
			if err := os.Remove(w.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return
			}
		}
	}
}

func (w *wal) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

var (
	keyWALApplied = []byte("wal_applied")
	keySpoolKey   = []byte("spool_key")
)

// applyJobs stores records from the log and the log position they reach,
// in one transaction; a record already there (replayed twice) is kept.
func (s *Store) applyJobs(recs []*JobRecord, pos walPos) error {
	var fresh []*JobRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		fresh = fresh[:0]
		for _, j := range recs {
			if b.Get([]byte(j.ID)) == nil {
				fresh = append(fresh, j)
			}
		}
		if err := addJobs(b, fresh); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketSettings), keyWALApplied, pos)
	})
	if err == nil {
		for _, j := range fresh {
			s.byUser.add(j.User.ID, j.ID) // badge release finds it from now on
		}
	}
	return err
}

// walApplied is the log position the database has applied.
func (s *Store) walApplied() (walPos, error) {
	var pos walPos
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSettings).Get(keyWALApplied); v != nil {
			return json.Unmarshal(v, &pos)
		}
		return nil
	})
	return pos, err
}

// spoolKey is the key the record log is sealed with, made once.
func (s *Store) spoolKey() ([]byte, error) {
	var key []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if v := b.Get(keySpoolKey); v != nil {
			key = bytes.Clone(v)
			return nil
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		return b.Put(keySpoolKey, key)
	})
	return key, err
}
