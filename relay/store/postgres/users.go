package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/edgeprint/edgeprint/relay/store"
)

// normalizeUser puts u's email and cards in canonical form.
func normalizeUser(u *store.User) error {
	email, err := store.NormalizeEmail(u.Email)
	if err != nil {
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
	u.Email, u.Cards = email, cards
	return nil
}

// userConflicts names the unique keys of a user.
func userConflicts(u store.User) map[string]string {
	return map[string]string{"users_pkey": "user id", "users_email": "email " + u.Email}
}

// CreateUser adds u and its cards; a taken email or card is a conflict.
func (d *DB) CreateUser(ctx context.Context, u store.User) error {
	if err := checkKeys(u.CompanyID, u.ID); err != nil {
		return err
	}
	if err := normalizeUser(&u); err != nil {
		return err
	}
	data, err := encode(u)
	if err != nil {
		return err
	}
	err = d.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (company_id, id, email, data) VALUES ($1, $2, $3, $4)`,
			u.CompanyID, u.ID, u.Email, data); err != nil {
			return mapErr(err, userConflicts(u))
		}
		return addCards(ctx, tx, u.CompanyID, u.ID, u.Cards)
	})
	return mapErr(err, nil)
}

// addCards indexes cards as userID's; one taken is a conflict naming it.
func addCards(ctx context.Context, tx pgx.Tx, companyID, userID string, cards []string) error {
	for _, c := range cards {
		if _, err := tx.Exec(ctx, `INSERT INTO user_cards (company_id, card, user_id) VALUES ($1, $2, $3)`,
			companyID, c, userID); err != nil {
			return mapErr(err, map[string]string{"user_cards_card": "card " + c})
		}
	}
	return nil
}

// User returns the user id of companyID.
func (d *DB) User(ctx context.Context, companyID, id string) (store.User, error) {
	if !validKey(companyID) || !validKey(id) {
		return store.User{}, store.ErrNotFound
	}
	return queryOne[store.User](ctx, d.pool, `SELECT data FROM users WHERE company_id = $1 AND id = $2`, companyID, id)
}

// UserByEmail returns the user of companyID with email, in any letter case.
func (d *DB) UserByEmail(ctx context.Context, companyID, email string) (store.User, error) {
	e, err := store.NormalizeEmail(email)
	if err != nil || !validKey(companyID) {
		return store.User{}, store.ErrNotFound
	}
	return queryOne[store.User](ctx, d.pool, `SELECT data FROM users WHERE company_id = $1 AND email = $2`, companyID, e)
}

// UserByCard returns the user of companyID holding card (normalised here).
func (d *DB) UserByCard(ctx context.Context, companyID, card string) (store.User, error) {
	c, err := store.NormalizeCard(card)
	if err != nil || !validKey(companyID) {
		return store.User{}, store.ErrNotFound
	}
	return queryOne[store.User](ctx, d.pool, `SELECT u.data FROM user_cards c
		JOIN users u ON u.company_id = c.company_id AND u.id = c.user_id
		WHERE c.company_id = $1 AND c.card = $2`, companyID, c)
}

// Users lists the users of companyID by email.
func (d *DB) Users(ctx context.Context, companyID string) ([]store.User, error) {
	return queryList[store.User](ctx, d.pool, `SELECT data FROM users WHERE company_id = $1 ORDER BY email, id`, companyID)
}

// UpdateUser changes user id of companyID through fn, moving its email
// and cards; one another user holds is a conflict and changes nothing.
func (d *DB) UpdateUser(ctx context.Context, companyID, id string, fn func(*store.User) error) (store.User, error) {
	var u store.User
	if !validKey(companyID) || !validKey(id) {
		return u, store.ErrNotFound
	}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = queryOne[store.User](ctx, tx, `SELECT data FROM users WHERE company_id = $1 AND id = $2 FOR UPDATE`, companyID, id)
		if err != nil {
			return err
		}
		keep := u
		if err := fn(&u); err != nil {
			return err
		}
		u.ID, u.CompanyID, u.Created = keep.ID, keep.CompanyID, keep.Created
		if err := normalizeUser(&u); err != nil {
			return err
		}
		data, err := encode(u)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET email = $3, data = $4 WHERE company_id = $1 AND id = $2`,
			companyID, id, u.Email, data); err != nil {
			return mapErr(err, userConflicts(u))
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_cards WHERE company_id = $1 AND user_id = $2`, companyID, id); err != nil {
			return err
		}
		// A card listed twice is the user's own, as in store/bolt.
		return addCards(ctx, tx, companyID, id, slices.Compact(slices.Sorted(slices.Values(u.Cards))))
	})
	return u, mapErr(err, nil)
}

// CreateToken adds t, keyed by its hash.
func (d *DB) CreateToken(ctx context.Context, t store.Token) error {
	if len(t.Hash) == 0 {
		return errEmptyHash
	}
	if err := checkKeys(t.CompanyID); err != nil {
		return err
	}
	data, err := encode(t)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO tokens (hash, company_id, created_ns, data) VALUES ($1, $2, $3, $4)`,
		t.Hash, t.CompanyID, ns(t.Created), data)
	return mapErr(err, map[string]string{"tokens_pkey": "token"})
}

// TokenByHash returns the token whose SHA-256 is hash.
func (d *DB) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	if len(hash) == 0 {
		return store.Token{}, store.ErrNotFound
	}
	return queryOne[store.Token](ctx, d.pool, `SELECT data FROM tokens WHERE hash = $1`, hash)
}

// Tokens lists a company's API tokens by creation time.
func (d *DB) Tokens(ctx context.Context, companyID string) ([]store.Token, error) {
	return queryList[store.Token](ctx, d.pool, `SELECT data FROM tokens WHERE company_id = $1 ORDER BY created_ns, hash`, companyID)
}
