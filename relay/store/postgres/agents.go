package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/edgeprint/edgeprint/relay/store"
)

var errEmptyHash = errors.New("store: empty hash")

// CreateActivationCode adds c, keyed by its hash.
func (d *DB) CreateActivationCode(ctx context.Context, c store.ActivationCode) error {
	if len(c.Hash) == 0 {
		return errEmptyHash
	}
	if err := checkKeys(c.CompanyID); err != nil {
		return err
	}
	data, err := encode(c)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO activation_codes (hash, company_id, created_ns, data) VALUES ($1, $2, $3, $4)`,
		c.Hash, c.CompanyID, ns(c.Created), data)
	return mapErr(err, map[string]string{"activation_codes_pkey": "activation code"})
}

// ActivationCodes lists a company's activation codes by creation time.
func (d *DB) ActivationCodes(ctx context.Context, companyID string) ([]store.ActivationCode, error) {
	return queryList[store.ActivationCode](ctx, d.pool,
		`SELECT data FROM activation_codes WHERE company_id = $1 ORDER BY created_ns, hash`, companyID)
}

// RegisterAgent burns the activation code and creates a in one transaction.
func (d *DB) RegisterAgent(ctx context.Context, codeHash []byte, now time.Time, a store.Agent) error {
	if err := checkKeys(a.CompanyID, a.ID); err != nil {
		return err
	}
	if len(codeHash) == 0 {
		return store.ErrCodeUnusable
	}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		c, err := queryOne[store.ActivationCode](ctx, tx,
			`SELECT data FROM activation_codes WHERE hash = $1 AND company_id = $2 FOR UPDATE`, codeHash, a.CompanyID)
		if errors.Is(err, store.ErrNotFound) {
			return store.ErrCodeUnusable
		} else if err != nil {
			return err
		}
		if c.Used || !now.Before(c.Expires) {
			return store.ErrCodeUnusable
		}
		c.Used = true
		data, err := encode(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE activation_codes SET data = $2 WHERE hash = $1`, codeHash, data); err != nil {
			return err
		}
		return insertAgent(ctx, tx, a)
	})
	return mapErr(err, nil)
}

// ImportAgent stores a as it is, without an activation code.
func (d *DB) ImportAgent(ctx context.Context, a store.Agent) error {
	if err := checkKeys(a.CompanyID, a.ID); err != nil {
		return err
	}
	return mapErr(insertAgent(ctx, d.pool, a), nil)
}

func insertAgent(ctx context.Context, q querier, a store.Agent) error {
	data, err := encode(a)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO agents (id, company_id, name, data) VALUES ($1, $2, $3, $4)`,
		a.ID, a.CompanyID, clean(a.Name), data)
	return mapErr(err, map[string]string{"agents_pkey": "agent id"})
}

// Agent returns the agent with id, whatever its company.
func (d *DB) Agent(ctx context.Context, id string) (store.Agent, error) {
	if !validKey(id) {
		return store.Agent{}, store.ErrNotFound
	}
	return queryOne[store.Agent](ctx, d.pool, `SELECT data FROM agents WHERE id = $1`, id)
}

// Agents lists the agents of companyID by name.
func (d *DB) Agents(ctx context.Context, companyID string) ([]store.Agent, error) {
	return queryList[store.Agent](ctx, d.pool, `SELECT data FROM agents WHERE company_id = $1 ORDER BY name, id`, companyID)
}

// TouchAgent records that the agent id was seen at seen (never moving
// LastSeen back).
func (d *DB) TouchAgent(ctx context.Context, id string, seen time.Time) error {
	if !validKey(id) {
		return store.ErrNotFound
	}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		a, err := queryOne[store.Agent](ctx, tx, `SELECT data FROM agents WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if !seen.After(a.LastSeen) {
			return nil
		}
		a.LastSeen = seen
		return updateAgent(ctx, tx, a)
	})
	return mapErr(err, nil)
}

// UpdateAgent runs fn on the agent id of companyID and stores the result;
// its id, company, machine and secret stay.
func (d *DB) UpdateAgent(ctx context.Context, companyID, id string, fn func(*store.Agent) error) (store.Agent, error) {
	var a store.Agent
	if !validKey(companyID) || !validKey(id) {
		return a, store.ErrNotFound
	}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = queryOne[store.Agent](ctx, tx, `SELECT data FROM agents WHERE company_id = $1 AND id = $2 FOR UPDATE`, companyID, id)
		if err != nil {
			return err
		}
		keep := a
		if err := fn(&a); err != nil {
			return err
		}
		a.ID, a.CompanyID, a.MachineHash, a.SecretHash = keep.ID, keep.CompanyID, keep.MachineHash, keep.SecretHash
		return updateAgent(ctx, tx, a)
	})
	return a, mapErr(err, nil)
}

func updateAgent(ctx context.Context, tx pgx.Tx, a store.Agent) error {
	data, err := encode(a)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE agents SET name = $3, data = $4 WHERE company_id = $1 AND id = $2`, a.CompanyID, a.ID, a.Name, data)
	return err
}
