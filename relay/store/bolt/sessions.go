package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

var bucketSessions = []byte("sessions") // sha256(cookie) → Session

// CreateSession stores s under its id hash.
func (d *DB) CreateSession(ctx context.Context, s store.Session) error {
	if len(s.IDHash) == 0 {
		return fmt.Errorf("store: session without id hash")
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		return putUnique(tx.Bucket(bucketSessions), s.IDHash, mustJSON(s), "session")
	})
}

// TouchSession returns the live session and marks it used now; an idle
// one is deleted.
func (d *DB) TouchSession(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (store.Session, error) {
	var s store.Session
	expired := false
	err := d.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if err := get(b, idHash, &s); err != nil {
			return err
		}
		if now.Sub(s.LastUsed) > idle {
			expired = true // deleted, and the delete commits
			return b.Delete(idHash)
		}
		s.LastUsed = now
		return put(b, idHash, s)
	})
	if err == nil && expired {
		return store.Session{}, store.ErrNotFound
	}
	return s, err
}

// DeleteSession removes a session.
func (d *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete(idHash)
	})
}

// PruneSessions deletes sessions last used before before.
func (d *DB) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := d.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		var stale [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var s store.Session
			if err := json.Unmarshal(v, &s); err != nil || s.LastUsed.Before(before) {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	return n, err
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // records are plain structs
	}
	return raw
}
