package bolt

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration changes the file from one schema version to the next. The
// schema version is the number of migrations applied; append new ones at the
// end and never edit or reorder the ones released.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
}

var migrations = []migration{
	{"create buckets", func(tx *bolt.Tx) error {
		for _, b := range [][]byte{
			bucketCompanies, bucketCompanyCode, bucketUsers, bucketUserEmails,
			bucketUserCards, bucketTokens, bucketCodes, bucketAgents,
			bucketAgentIndex, bucketPrinters, bucketReaders, bucketJobs,
		} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}},
	{"swipe audit and unknown cards", func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSwipeAudit, bucketUnknownCards} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}},
	{"swipes move to the audit log", func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSwipeAudit) == nil {
			return nil
		}
		return tx.DeleteBucket(bucketSwipeAudit)
	}},
	{"console sessions", func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketSessions)
		return err
	}},
}

// migrate applies the migrations the file lacks and bumps the version in one
// transaction, so a crash leaves the old schema or the new one.
func migrate(db *bolt.DB, ms []migration) error {
	return db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketMeta); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		v, err := schemaVersion(tx)
		if err != nil {
			return err
		}
		if v > len(ms) {
			return fmt.Errorf("store: schema version %d is newer than this relay knows (%d): upgrade the relay", v, len(ms))
		}
		for i := v; i < len(ms); i++ {
			if err := ms[i].up(tx); err != nil {
				return fmt.Errorf("store: migration %d (%s): %w", i+1, ms[i].name, err)
			}
			if err := setSchemaVersion(tx, i+1); err != nil {
				return err
			}
		}
		return nil
	})
}

func schemaVersion(tx *bolt.Tx) (int, error) {
	raw := tx.Bucket(bucketMeta).Get(keySchemaVersion)
	if raw == nil {
		return 0, nil
	}
	if len(raw) != 8 {
		return 0, fmt.Errorf("store: bad schema version record")
	}
	return int(binary.BigEndian.Uint64(raw)), nil
}

func setSchemaVersion(tx *bolt.Tx, v int) error {
	return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, uint64(v)))
}
