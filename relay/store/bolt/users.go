package bolt

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateUser adds u and indexes its email and cards in its company.
func (d *DB) CreateUser(ctx context.Context, u store.User) error {
	k, err := key(u.CompanyID, u.ID)
	if err != nil {
		return err
	}
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
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(u.CompanyID)) == nil {
			return store.ErrNotFound
		}
		users := tx.Bucket(bucketUsers)
		if users.Get(k) != nil {
			return &store.ConflictError{What: "user id"}
		}
		ek, err := key(u.CompanyID, u.Email)
		if err != nil {
			return err
		}
		if err := putUnique(tx.Bucket(bucketUserEmails), ek, []byte(u.ID), "email "+u.Email); err != nil {
			return err
		}
		for _, c := range u.Cards {
			ck, err := key(u.CompanyID, c)
			if err != nil {
				return err
			}
			if err := putUnique(tx.Bucket(bucketUserCards), ck, []byte(u.ID), "card "+c); err != nil {
				return err
			}
		}
		return put(users, k, u)
	})
}

// User returns the user id of company companyID.
func (d *DB) User(ctx context.Context, companyID, id string) (store.User, error) {
	var u store.User
	k, err := key(companyID, id)
	if err != nil {
		return u, store.ErrNotFound
	}
	err = d.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketUsers), k, &u)
	})
	return u, err
}

// UserByEmail returns the user of companyID with email, in any letter case.
func (d *DB) UserByEmail(ctx context.Context, companyID, email string) (store.User, error) {
	e, err := store.NormalizeEmail(email)
	if err != nil {
		return store.User{}, store.ErrNotFound
	}
	return d.userByIndex(ctx, bucketUserEmails, companyID, e)
}

// UserByCard returns the user of companyID holding card (normalised here).
func (d *DB) UserByCard(ctx context.Context, companyID, card string) (store.User, error) {
	c, err := store.NormalizeCard(card)
	if err != nil {
		return store.User{}, store.ErrNotFound
	}
	return d.userByIndex(ctx, bucketUserCards, companyID, c)
}

func (d *DB) userByIndex(ctx context.Context, index []byte, companyID, value string) (store.User, error) {
	var u store.User
	ik, err := key(companyID, value)
	if err != nil {
		return u, store.ErrNotFound
	}
	err = d.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(index).Get(ik)
		if id == nil {
			return store.ErrNotFound
		}
		return get(tx.Bucket(bucketUsers), []byte(companyID+"/"+string(id)), &u)
	})
	return u, err
}

// Users lists the users of companyID.
func (d *DB) Users(ctx context.Context, companyID string) ([]store.User, error) {
	var out []store.User
	err := d.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[store.User](tx.Bucket(bucketUsers), companyID)
		return err
	})
	sortBy(out, func(u store.User) string { return u.Email }, func(u store.User) string { return u.ID })
	return out, err
}

// CreateToken adds t, keyed by its hash.
func (d *DB) CreateToken(ctx context.Context, t store.Token) error {
	if len(t.Hash) == 0 {
		return errEmptyHash
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(t.CompanyID)) == nil {
			return store.ErrNotFound
		}
		b := tx.Bucket(bucketTokens)
		if b.Get(t.Hash) != nil {
			return &store.ConflictError{What: "token"}
		}
		return put(b, t.Hash, t)
	})
}

// TokenByHash returns the token whose SHA-256 is hash.
func (d *DB) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	var t store.Token
	if len(hash) == 0 {
		return t, store.ErrNotFound
	}
	err := d.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketTokens), hash, &t)
	})
	return t, err
}
