package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateJob adds j unless its company already has a job with its id.
func (d *DB) CreateJob(ctx context.Context, j store.Job) error {
	if err := checkKeys(j.CompanyID, j.ID); err != nil {
		return err
	}
	data, err := encode(j)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO jobs (company_id, id, user_id, state, created_ns, stored_ns, has_doc, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		j.CompanyID, j.ID, clean(j.UserID), clean(string(j.State)), ns(j.Created), ns(j.Stored), j.HasDocument(), data)
	return mapErr(err, map[string]string{"jobs_pkey": "job " + j.ID})
}

// Job returns the job id of companyID.
func (d *DB) Job(ctx context.Context, companyID, id string) (store.Job, error) {
	if !validKey(companyID) || !validKey(id) {
		return store.Job{}, store.ErrNotFound
	}
	return queryOne[store.Job](ctx, d.pool, `SELECT data FROM jobs WHERE company_id = $1 AND id = $2`, companyID, id)
}

// Jobs lists the jobs of companyID that pass f, by creation time.
func (d *DB) Jobs(ctx context.Context, companyID string, f store.JobFilter) ([]store.Job, error) {
	where := []string{"company_id = $1"}
	args := []any{companyID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.UserID != "" {
		add("user_id = $%d", clean(f.UserID))
	}
	if f.State != "" {
		add("state = $%d", clean(string(f.State)))
	}
	if f.WithDocument {
		where = append(where, "has_doc")
	}
	if !f.StoredBefore.IsZero() {
		add("stored_ns < $%d", ns(f.StoredBefore))
	}
	return queryList[store.Job](ctx, d.pool,
		`SELECT data FROM jobs WHERE `+strings.Join(where, " AND ")+` ORDER BY created_ns, id`, args...)
}

// UpdateJob changes the job id of companyID through fn; its id, company
// and owner stay.
func (d *DB) UpdateJob(ctx context.Context, companyID, id string, fn func(*store.Job) error) (store.Job, error) {
	var j store.Job
	if !validKey(companyID) || !validKey(id) {
		return j, store.ErrNotFound
	}
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		j, err = queryOne[store.Job](ctx, tx, `SELECT data FROM jobs WHERE company_id = $1 AND id = $2 FOR UPDATE`, companyID, id)
		if err != nil {
			return err
		}
		owner := j.UserID
		if err := fn(&j); err != nil {
			return err
		}
		j.ID, j.CompanyID, j.UserID = id, companyID, owner
		data, err := encode(j)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE jobs SET state = $3, created_ns = $4, stored_ns = $5, has_doc = $6, data = $7
			WHERE company_id = $1 AND id = $2`,
			companyID, id, clean(string(j.State)), ns(j.Created), ns(j.Stored), j.HasDocument(), data)
		return err
	})
	return j, mapErr(err, nil)
}
