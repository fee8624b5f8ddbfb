package bolt

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// UpdateUser changes user id of companyID through fn, in one transaction,
// moving its email and card index entries.
func (d *DB) UpdateUser(ctx context.Context, companyID, id string, fn func(*store.User) error) (store.User, error) {
	var u store.User
	k, err := key(companyID, id)
	if err != nil {
		return u, store.ErrNotFound
	}
	err = d.update(ctx, func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		if err := get(users, k, &u); err != nil {
			return err
		}
		old := u
		if err := fn(&u); err != nil {
			return err
		}
		u.ID, u.CompanyID, u.Created = old.ID, old.CompanyID, old.Created
		if u.Email, err = store.NormalizeEmail(u.Email); err != nil {
			return err
		}
		cards := make([]string, 0, len(u.Cards))
		for _, c := range u.Cards {
			n, err := store.NormalizeCard(c)
			if err != nil {
				return err
			}
			cards = append(cards, n)
		}
		u.Cards = cards
		emails, cardIdx := tx.Bucket(bucketUserEmails), tx.Bucket(bucketUserCards)
		if err := reindex(emails, companyID, id, []string{old.Email}, []string{u.Email}, "email "); err != nil {
			return err
		}
		if err := reindex(cardIdx, companyID, id, old.Cards, u.Cards, "card "); err != nil {
			return err
		}
		return put(users, k, u)
	})
	return u, err
}

// reindex points the index entries of values at id, dropping those of
// values no longer held; a value another user holds is a conflict.
func reindex(b *bolt.Bucket, companyID, id string, old, values []string, what string) error {
	for _, v := range old {
		ik, err := key(companyID, v)
		if err != nil {
			return err
		}
		if string(b.Get(ik)) == id {
			if err := b.Delete(ik); err != nil {
				return err
			}
		}
	}
	for _, v := range values {
		ik, err := key(companyID, v)
		if err != nil {
			return err
		}
		if owner := b.Get(ik); owner != nil && string(owner) != id {
			return &store.ConflictError{What: what + v}
		}
		if err := b.Put(ik, []byte(id)); err != nil {
			return err
		}
	}
	return nil
}
