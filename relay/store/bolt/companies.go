package bolt

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateCompany adds c; its code must be free.
func (d *DB) CreateCompany(ctx context.Context, c store.Company) error {
	if err := checkPart(c.ID); err != nil {
		return err
	}
	code, err := store.NormalizeCompanyCode(c.Code)
	if err != nil {
		return err
	}
	c.Code = code
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(c.ID)) != nil {
			return &store.ConflictError{What: "company id"}
		}
		if err := putUnique(tx.Bucket(bucketCompanyCode), []byte(code), []byte(c.ID), "company code "+code); err != nil {
			return err
		}
		return put(tx.Bucket(bucketCompanies), []byte(c.ID), c)
	})
}

// Company returns the company with id.
func (d *DB) Company(ctx context.Context, id string) (store.Company, error) {
	var c store.Company
	err := d.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketCompanies), []byte(id), &c)
	})
	return c, err
}

// CompanyByCode returns the company with code, in any letter case.
func (d *DB) CompanyByCode(ctx context.Context, code string) (store.Company, error) {
	code, err := store.NormalizeCompanyCode(code)
	if err != nil {
		return store.Company{}, store.ErrNotFound
	}
	var c store.Company
	err = d.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketCompanyCode).Get([]byte(code))
		if id == nil {
			return store.ErrNotFound
		}
		return get(tx.Bucket(bucketCompanies), id, &c)
	})
	return c, err
}

// Companies lists every company, for sweeps that run across tenants.
func (d *DB) Companies(ctx context.Context) ([]store.Company, error) {
	out := []store.Company{}
	err := d.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCompanies).ForEach(func(k, _ []byte) error {
			var c store.Company
			if err := get(tx.Bucket(bucketCompanies), k, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// UpdateCompany changes the company with id through fn. The id and code
// cannot change.
func (d *DB) UpdateCompany(ctx context.Context, id string, fn func(*store.Company) error) (store.Company, error) {
	var c store.Company
	err := d.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCompanies)
		if err := get(b, []byte(id), &c); err != nil {
			return err
		}
		oldID, oldCode := c.ID, c.Code
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.Code = oldID, oldCode
		return put(b, []byte(id), c)
	})
	return c, err
}
