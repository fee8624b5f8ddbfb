package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreatePrinter adds p.
func (d *DB) CreatePrinter(ctx context.Context, p store.Printer) error {
	if err := checkKeys(p.CompanyID, p.ID); err != nil {
		return err
	}
	data, err := encode(p)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO printers (company_id, id, name, data) VALUES ($1, $2, $3, $4)`,
		p.CompanyID, p.ID, clean(p.Name), data)
	return mapErr(err, map[string]string{"printers_pkey": "printer id"})
}

// Printer returns the printer id of companyID.
func (d *DB) Printer(ctx context.Context, companyID, id string) (store.Printer, error) {
	if !validKey(companyID) || !validKey(id) {
		return store.Printer{}, store.ErrNotFound
	}
	return queryOne[store.Printer](ctx, d.pool, `SELECT data FROM printers WHERE company_id = $1 AND id = $2`, companyID, id)
}

// Printers lists the printers of companyID by name.
func (d *DB) Printers(ctx context.Context, companyID string) ([]store.Printer, error) {
	return queryList[store.Printer](ctx, d.pool, `SELECT data FROM printers WHERE company_id = $1 ORDER BY name, id`, companyID)
}

// UpdatePrinter changes the printer id of companyID through fn; its id
// and company stay.
func (d *DB) UpdatePrinter(ctx context.Context, companyID, id string, fn func(*store.Printer) error) (store.Printer, error) {
	var p store.Printer
	if !validKey(companyID) || !validKey(id) {
		return p, store.ErrNotFound
	}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = queryOne[store.Printer](ctx, tx, `SELECT data FROM printers WHERE company_id = $1 AND id = $2 FOR UPDATE`, companyID, id)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.CompanyID = id, companyID
		data, err := encode(p)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE printers SET name = $3, data = $4 WHERE company_id = $1 AND id = $2`, companyID, id, clean(p.Name), data)
		return err
	})
	return p, mapErr(err, nil)
}

// CreateReader adds r; its printer must be one of its company's
// (ErrNotFound otherwise, through the foreign key).
func (d *DB) CreateReader(ctx context.Context, r store.Reader) error {
	if err := checkKeys(r.CompanyID, r.ID); err != nil {
		return err
	}
	if !validKey(r.PrinterID) {
		return store.ErrNotFound
	}
	data, err := encode(r)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO readers (company_id, id, printer_id, address, data) VALUES ($1, $2, $3, $4, $5)`,
		r.CompanyID, r.ID, r.PrinterID, clean(r.Address), data)
	return mapErr(err, map[string]string{"readers_pkey": "reader id"})
}

// Readers lists the readers of companyID by address.
func (d *DB) Readers(ctx context.Context, companyID string) ([]store.Reader, error) {
	return queryList[store.Reader](ctx, d.pool, `SELECT data FROM readers WHERE company_id = $1 ORDER BY address, id`, companyID)
}
