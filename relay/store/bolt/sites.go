package bolt

import (
	"context"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateSite adds s; its name must be free in the company.
func (d *DB) CreateSite(ctx context.Context, s store.Site) error {
	k, err := key(s.CompanyID, s.ID)
	if err != nil {
		return err
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(s.CompanyID)) == nil {
			return store.ErrNotFound
		}
		b, err := tx.CreateBucketIfNotExists(bucketSites)
		if err != nil {
			return err
		}
		sites, err := list[store.Site](b, s.CompanyID)
		if err != nil {
			return err
		}
		for _, o := range sites {
			if strings.EqualFold(o.Name, s.Name) {
				return &store.ConflictError{What: "site " + s.Name}
			}
		}
		if b.Get(k) != nil {
			return &store.ConflictError{What: "site id"}
		}
		return put(b, k, s)
	})
}

// Site returns the site id of companyID.
func (d *DB) Site(ctx context.Context, companyID, id string) (store.Site, error) {
	var s store.Site
	k, err := key(companyID, id)
	if err != nil {
		return s, store.ErrNotFound
	}
	err = d.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSites)
		if b == nil {
			return store.ErrNotFound
		}
		return get(b, k, &s)
	})
	return s, err
}

// Sites lists the sites of companyID by name.
func (d *DB) Sites(ctx context.Context, companyID string) ([]store.Site, error) {
	out := []store.Site{}
	err := d.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSites)
		if b == nil {
			return nil
		}
		var err error
		out, err = list[store.Site](b, companyID)
		return err
	})
	sortBy(out, func(s store.Site) string { return s.Name }, func(s store.Site) string { return s.ID })
	return out, err
}
