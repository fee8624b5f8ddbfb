package bolt

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreatePrinter adds p.
func (d *DB) CreatePrinter(ctx context.Context, p store.Printer) error {
	k, err := key(p.CompanyID, p.ID)
	if err != nil {
		return err
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(p.CompanyID)) == nil {
			return store.ErrNotFound
		}
		b := tx.Bucket(bucketPrinters)
		if b.Get(k) != nil {
			return &store.ConflictError{What: "printer id"}
		}
		return put(b, k, p)
	})
}

// Printer returns the printer id of companyID.
func (d *DB) Printer(ctx context.Context, companyID, id string) (store.Printer, error) {
	var p store.Printer
	k, err := key(companyID, id)
	if err != nil {
		return p, store.ErrNotFound
	}
	err = d.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketPrinters), k, &p)
	})
	return p, err
}

// Printers lists the printers of companyID.
func (d *DB) Printers(ctx context.Context, companyID string) ([]store.Printer, error) {
	var out []store.Printer
	err := d.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[store.Printer](tx.Bucket(bucketPrinters), companyID)
		return err
	})
	sortBy(out, func(p store.Printer) string { return p.Name }, func(p store.Printer) string { return p.ID })
	return out, err
}

// UpdatePrinter changes the printer id of companyID through fn.
func (d *DB) UpdatePrinter(ctx context.Context, companyID, id string, fn func(*store.Printer) error) (store.Printer, error) {
	var p store.Printer
	k, err := key(companyID, id)
	if err != nil {
		return p, store.ErrNotFound
	}
	err = d.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPrinters)
		if err := get(b, k, &p); err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.CompanyID = id, companyID
		return put(b, k, p)
	})
	return p, err
}

// CreateReader adds r; its printer must be one of its company's.
func (d *DB) CreateReader(ctx context.Context, r store.Reader) error {
	k, err := key(r.CompanyID, r.ID)
	if err != nil {
		return err
	}
	pk, err := key(r.CompanyID, r.PrinterID)
	if err != nil {
		return store.ErrNotFound
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketPrinters).Get(pk) == nil {
			return store.ErrNotFound
		}
		b := tx.Bucket(bucketReaders)
		if b.Get(k) != nil {
			return &store.ConflictError{What: "reader id"}
		}
		return put(b, k, r)
	})
}

// Readers lists the readers of companyID.
func (d *DB) Readers(ctx context.Context, companyID string) ([]store.Reader, error) {
	var out []store.Reader
	err := d.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[store.Reader](tx.Bucket(bucketReaders), companyID)
		return err
	})
	sortBy(out, func(r store.Reader) string { return r.Address }, func(r store.Reader) string { return r.ID })
	return out, err
}
