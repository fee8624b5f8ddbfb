package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

var _ store.ExportStore = (*DB)(nil)

// Tokens lists companyID's API tokens by creation time, ties by hash.
// Tokens are keyed by hash alone, so this scans them all: it serves
// `relay migrate`, not requests.
func (d *DB) Tokens(ctx context.Context, companyID string) ([]store.Token, error) {
	out, err := scanCompany[store.Token](ctx, d, bucketTokens, func(t store.Token) string { return t.CompanyID }, companyID)
	slices.SortStableFunc(out, func(a, b store.Token) int {
		return byCreated(a.Created, b.Created, a.Hash, b.Hash)
	})
	return out, err
}

// ActivationCodes lists companyID's activation codes by creation time,
// ties by hash; like Tokens it scans them all.
func (d *DB) ActivationCodes(ctx context.Context, companyID string) ([]store.ActivationCode, error) {
	out, err := scanCompany[store.ActivationCode](ctx, d, bucketCodes, func(c store.ActivationCode) string { return c.CompanyID }, companyID)
	slices.SortStableFunc(out, func(a, b store.ActivationCode) int {
		return byCreated(a.Created, b.Created, a.Hash, b.Hash)
	})
	return out, err
}

// ImportAgent stores a as it is, without burning an activation code. Its
// company must exist and its id be free.
func (d *DB) ImportAgent(ctx context.Context, a store.Agent) error {
	k, err := key(a.CompanyID, a.ID)
	if err != nil {
		return err
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(a.CompanyID)) == nil {
			return store.ErrNotFound
		}
		if err := putUnique(tx.Bucket(bucketAgentIndex), []byte(a.ID), []byte(a.CompanyID), "agent id"); err != nil {
			return err
		}
		return put(tx.Bucket(bucketAgents), k, a)
	})
}

// scanCompany decodes every record of b and keeps companyID's.
func scanCompany[T any](ctx context.Context, d *DB, b []byte, company func(T) string, companyID string) ([]T, error) {
	out := []T{}
	err := d.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(b).ForEach(func(k, v []byte) error {
			var rec T
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("store: decode %x: %w", k, err)
			}
			if company(rec) == companyID {
				out = append(out, rec)
			}
			return nil
		})
	})
	return out, err
}

func byCreated(a, b time.Time, ha, hb []byte) int {
	if c := a.Compare(b); c != 0 {
		return c
	}
	return bytes.Compare(ha, hb)
}
