package bolt

import (
	"context"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateJob adds j unless its company already has a job with its id.
func (d *DB) CreateJob(ctx context.Context, j store.Job) error {
	k, err := key(j.CompanyID, j.ID)
	if err != nil {
		return err
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(j.CompanyID)) == nil {
			return store.ErrNotFound
		}
		b := tx.Bucket(bucketJobs)
		if b.Get(k) != nil {
			return &store.ConflictError{What: "job " + j.ID}
		}
		if checkPart(j.UserID) == nil {
			if err := tx.Bucket(bucketJobOwners).Put(ownerKey(j.CompanyID, j.UserID, j.ID), nil); err != nil {
				return err
			}
		}
		return put(b, k, j)
	})
}

// Job returns the job id of companyID.
func (d *DB) Job(ctx context.Context, companyID, id string) (store.Job, error) {
	var j store.Job
	k, err := key(companyID, id)
	if err != nil {
		return j, store.ErrNotFound
	}
	err = d.view(ctx, func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketJobs), k, &j)
	})
	return j, err
}

// Jobs lists the jobs of companyID that pass f.
func (d *DB) Jobs(ctx context.Context, companyID string, f store.JobFilter) ([]store.Job, error) {
	var all []store.Job
	err := d.view(ctx, func(tx *bolt.Tx) error {
		var err error
		if f.UserID != "" {
			all, err = ownerJobs(tx, companyID, f.UserID) // jobindex.go
		} else {
			all, err = list[store.Job](tx.Bucket(bucketJobs), companyID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, j := range all {
		if f.Match(j) {
			out = append(out, j)
		}
	}
	slices.SortStableFunc(out, func(a, b store.Job) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// UpdateJob changes the job id of companyID through fn. Its id, company
// and owner cannot change.
func (d *DB) UpdateJob(ctx context.Context, companyID, id string, fn func(*store.Job) error) (store.Job, error) {
	var j store.Job
	k, err := key(companyID, id)
	if err != nil {
		return j, store.ErrNotFound
	}
	err = d.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		if err := get(b, k, &j); err != nil {
			return err
		}
		owner := j.UserID
		if err := fn(&j); err != nil {
			return err
		}
		j.ID, j.CompanyID, j.UserID = id, companyID, owner
		return put(b, k, j)
	})
	return j, err
}
