package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// The audit log and sites live in buckets made on first write, so they
// need no migration: a read of a file that has none sees an empty list.
var (
	bucketEvents = []byte("audit_events") // company/<time ns, 8 bytes BE><id> → AuditEvent
	bucketSites  = []byte("sites")        // company/id → Site
)

func eventKey(companyID string, t time.Time, id string) ([]byte, error) {
	if err := checkPart(companyID); err != nil {
		return nil, err
	}
	if id == "" || len(id) > 128 {
		return nil, fmt.Errorf("store: invalid event id %q", id)
	}
	k := make([]byte, 0, len(companyID)+1+8+len(id))
	k = append(k, companyID...)
	k = append(k, '/')
	k = binary.BigEndian.AppendUint64(k, uint64(t.UnixNano()))
	return append(k, id...), nil
}

// AppendEvent adds e to its company's log.
func (d *DB) AppendEvent(ctx context.Context, e store.AuditEvent) error {
	if e.Time.IsZero() {
		return fmt.Errorf("store: event without time")
	}
	k, err := eventKey(e.CompanyID, e.Time, e.ID)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Batch: concurrent appends (a burst of logins or releases) share one
	// transaction and one fsync. The function may run twice; a second put
	// of the same key is harmless.
	return d.db.Batch(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(e.CompanyID)) == nil {
			return store.ErrNotFound
		}
		b, err := tx.CreateBucketIfNotExists(bucketEvents)
		if err != nil {
			return err
		}
		return put(b, k, e)
	})
}

// Events lists companyID's events newest first.
func (d *DB) Events(ctx context.Context, companyID string, f store.EventFilter) ([]store.AuditEvent, error) {
	out := []store.AuditEvent{}
	if err := checkPart(companyID); err != nil {
		return out, nil
	}
	prefix := []byte(companyID + "/")
	// One past the prefix: '/'+1 is '0'.
	end := []byte(companyID + "0")
	err := d.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			var e store.AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("store: decode event: %w", err)
			}
			if !f.Since.IsZero() && e.Time.Before(f.Since) {
				break // older from here on
			}
			if !f.Match(e) {
				continue
			}
			out = append(out, e)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// PurgeEvents deletes events older than before in every company.
func (d *DB) PurgeEvents(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := d.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if b == nil {
			return nil
		}
		var old [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			i := bytes.IndexByte(k, '/')
			if i < 0 || len(k) < i+9 {
				continue
			}
			ns := int64(binary.BigEndian.Uint64(k[i+1 : i+9]))
			if ns < before.UnixNano() {
				old = append(old, bytes.Clone(k))
			}
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}
