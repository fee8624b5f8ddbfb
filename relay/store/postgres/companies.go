package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateCompany adds c; its id and code must be free.
func (d *DB) CreateCompany(ctx context.Context, c store.Company) error {
	if err := checkKeys(c.ID); err != nil {
		return err
	}
	code, err := store.NormalizeCompanyCode(c.Code)
	if err != nil {
		return err
	}
	c.Code = code
	data, err := encode(c)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO companies (id, code, data) VALUES ($1, $2, $3)`, c.ID, code, data)
	return mapErr(err, map[string]string{"companies_pkey": "company id", "companies_code": "company code " + code})
}

// Company returns the company with id.
func (d *DB) Company(ctx context.Context, id string) (store.Company, error) {
	if !validKey(id) {
		return store.Company{}, store.ErrNotFound
	}
	return queryOne[store.Company](ctx, d.pool, `SELECT data FROM companies WHERE id = $1`, id)
}

// CompanyByCode returns the company with code, in any letter case.
func (d *DB) CompanyByCode(ctx context.Context, code string) (store.Company, error) {
	code, err := store.NormalizeCompanyCode(code)
	if err != nil {
		return store.Company{}, store.ErrNotFound
	}
	return queryOne[store.Company](ctx, d.pool, `SELECT data FROM companies WHERE code = $1`, code)
}

// Companies lists every company by id, for sweeps across tenants.
func (d *DB) Companies(ctx context.Context) ([]store.Company, error) {
	return queryList[store.Company](ctx, d.pool, `SELECT data FROM companies ORDER BY id`)
}

// UpdateCompany changes the company with id through fn; the id and code
// cannot change.
func (d *DB) UpdateCompany(ctx context.Context, id string, fn func(*store.Company) error) (store.Company, error) {
	var c store.Company
	if !validKey(id) {
		return c, store.ErrNotFound
	}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if c, err = queryOne[store.Company](ctx, tx, `SELECT data FROM companies WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		keep := c
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.Code = keep.ID, keep.Code
		data, err := encode(c)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE companies SET data = $2 WHERE id = $1`, id, data)
		return err
	})
	return c, mapErr(err, nil)
}
