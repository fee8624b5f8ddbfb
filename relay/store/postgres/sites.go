package postgres

import (
	"context"
	"crypto/sha256"
	"strings"
	"unicode"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateSite adds s; its name must be free in the company, in any case.
func (d *DB) CreateSite(ctx context.Context, s store.Site) error {
	if err := checkKeys(s.CompanyID, s.ID); err != nil {
		return err
	}
	data, err := encode(s)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO sites (company_id, id, name, name_key, data) VALUES ($1, $2, $3, $4, $5)`,
		s.CompanyID, s.ID, clean(s.Name), foldKey(s.Name), data)
	return mapErr(err, map[string]string{"sites_pkey": "site id", "sites_name": "site " + s.Name})
}

// foldKey is equal for two names exactly when strings.EqualFold says they
// are equal: each rune becomes the smallest rune of its case-folding
// orbit. It is hashed so that a long name still fits a unique index.
func foldKey(name string) []byte {
	var b strings.Builder
	for _, r := range name {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return sum[:]
}

// Sites lists the sites of companyID by name.
func (d *DB) Sites(ctx context.Context, companyID string) ([]store.Site, error) {
	return queryList[store.Site](ctx, d.pool, `SELECT data FROM sites WHERE company_id = $1 ORDER BY name, id`, companyID)
}

// Site returns the site id of companyID.
func (d *DB) Site(ctx context.Context, companyID, id string) (store.Site, error) {
	if !validKey(companyID) || !validKey(id) {
		return store.Site{}, store.ErrNotFound
	}
	return queryOne[store.Site](ctx, d.pool, `SELECT data FROM sites WHERE company_id = $1 AND id = $2`, companyID, id)
}
