package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

var (
	// bucketSwipeAudit held swipe records before swipes joined the audit
	// log; a migration drops it.
	bucketSwipeAudit   = []byte("audit")
	bucketUnknownCards = []byte("unknown_cards") // company/reader/<hash hex> → UnknownCard
)

func unknownKey(companyID, readerID, id string) ([]byte, error) {
	if err := checkPart(companyID); err != nil {
		return nil, err
	}
	if err := checkPart(readerID); err != nil {
		return nil, err
	}
	if err := checkPart(id); err != nil {
		return nil, err
	}
	return []byte(companyID + "/" + readerID + "/" + id), nil
}

// PutUnknownCard records c, replacing an earlier record of the same card
// at the same reader.
func (d *DB) PutUnknownCard(ctx context.Context, c store.UnknownCard) error {
	k, err := unknownKey(c.CompanyID, c.ReaderID, c.ID)
	if err != nil {
		return err
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(c.CompanyID)) == nil {
			return store.ErrNotFound
		}
		return put(tx.Bucket(bucketUnknownCards), k, c)
	})
}

// UnknownCards lists the cards seen at readerID since since, newest first.
func (d *DB) UnknownCards(ctx context.Context, companyID, readerID string, since time.Time) ([]store.UnknownCard, error) {
	out := []store.UnknownCard{}
	if checkPart(companyID) != nil || checkPart(readerID) != nil {
		return out, nil
	}
	prefix := []byte(companyID + "/" + readerID + "/")
	err := d.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketUnknownCards).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var u store.UnknownCard
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("store: decode unknown card: %w", err)
			}
			if !u.Seen.Before(since) {
				out = append(out, u)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b store.UnknownCard) int { return b.Seen.Compare(a.Seen) })
	return out, err
}

// ClaimCard gives card to userID and forgets the unknown record.
func (d *DB) ClaimCard(ctx context.Context, c store.UnknownCard, userID, card string) (store.User, error) {
	var u store.User
	n, err := store.NormalizeCard(card)
	if err != nil {
		return u, err
	}
	k, err := unknownKey(c.CompanyID, c.ReaderID, c.ID)
	if err != nil {
		return u, store.ErrNotFound
	}
	uk, err := key(c.CompanyID, userID)
	if err != nil {
		return u, store.ErrNotFound
	}
	ck, err := key(c.CompanyID, n)
	if err != nil {
		return u, err
	}
	err = d.update(ctx, func(tx *bolt.Tx) error {
		unknown := tx.Bucket(bucketUnknownCards)
		if unknown.Get(k) == nil {
			return store.ErrNotFound
		}
		users := tx.Bucket(bucketUsers)
		if err := get(users, uk, &u); err != nil {
			return err
		}
		if err := putUnique(tx.Bucket(bucketUserCards), ck, []byte(userID), "card "+n); err != nil {
			return err
		}
		u.Cards = append(u.Cards, n)
		if err := put(users, uk, u); err != nil {
			return err
		}
		return unknown.Delete(k)
	})
	return u, err
}

// PruneUnknownCards deletes records seen before before, in every company.
func (d *DB) PruneUnknownCards(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := d.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUnknownCards)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var u store.UnknownCard
			if err := json.Unmarshal(v, &u); err != nil || u.Seen.Before(before) {
				old = append(old, slices.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
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
