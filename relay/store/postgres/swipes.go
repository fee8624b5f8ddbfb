package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/edgeprint/edgeprint/relay/store"
)

// PutUnknownCard records c, replacing an earlier record of the same card
// at the same reader.
func (d *DB) PutUnknownCard(ctx context.Context, c store.UnknownCard) error {
	if err := checkKeys(c.CompanyID, c.ReaderID, c.ID); err != nil {
		return err
	}
	data, err := encode(c)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO unknown_cards (company_id, reader_id, id, seen_ns, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (company_id, reader_id, id) DO UPDATE SET seen_ns = excluded.seen_ns, data = excluded.data`,
		c.CompanyID, c.ReaderID, c.ID, ns(c.Seen), data)
	return mapErr(err, nil)
}

// UnknownCards lists the cards seen at readerID since since, newest first.
func (d *DB) UnknownCards(ctx context.Context, companyID, readerID string, since time.Time) ([]store.UnknownCard, error) {
	if !validKey(companyID) || !validKey(readerID) {
		return []store.UnknownCard{}, nil
	}
	return queryList[store.UnknownCard](ctx, d.pool, `SELECT data FROM unknown_cards
		WHERE company_id = $1 AND reader_id = $2 AND seen_ns >= $3 ORDER BY seen_ns DESC, id`, companyID, readerID, ns(since))
}

// ClaimCard gives card to userID and forgets the unknown record, in one
// transaction.
func (d *DB) ClaimCard(ctx context.Context, c store.UnknownCard, userID, card string) (store.User, error) {
	var u store.User
	n, err := store.NormalizeCard(card)
	if err != nil {
		return u, err
	}
	if !validKey(c.CompanyID) || !validKey(c.ReaderID) || !validKey(c.ID) || !validKey(userID) {
		return u, store.ErrNotFound
	}
	err = d.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM unknown_cards WHERE company_id = $1 AND reader_id = $2 AND id = $3`,
			c.CompanyID, c.ReaderID, c.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		u, err = queryOne[store.User](ctx, tx, `SELECT data FROM users WHERE company_id = $1 AND id = $2 FOR UPDATE`, c.CompanyID, userID)
		if err != nil {
			return err
		}
		if err := addCards(ctx, tx, c.CompanyID, userID, []string{n}); err != nil {
			return err
		}
		u.Cards = append(u.Cards, n)
		data, err := encode(u)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE users SET data = $3 WHERE company_id = $1 AND id = $2`, c.CompanyID, userID, data)
		return err
	})
	return u, mapErr(err, nil)
}

// PruneUnknownCards deletes records seen before before, in every company.
func (d *DB) PruneUnknownCards(ctx context.Context, before time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM unknown_cards WHERE seen_ns < $1`, ns(before))
	if err != nil {
		return 0, mapErr(err, nil)
	}
	return int(tag.RowsAffected()), nil
}
