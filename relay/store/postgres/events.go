package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// AppendEvent adds e to its company's log. Appending the same event
// (company, time and id) again replaces it, as in store/bolt.
func (d *DB) AppendEvent(ctx context.Context, e store.AuditEvent) error {
	if e.Time.IsZero() {
		return errors.New("store: event without time")
	}
	if err := checkKeys(e.CompanyID, e.ID); err != nil {
		return err
	}
	data, err := encode(e)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO audit_events (company_id, at_ns, id, kind, outcome, channel, user_id, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (company_id, at_ns, id) DO UPDATE SET kind = excluded.kind, outcome = excluded.outcome,
			channel = excluded.channel, user_id = excluded.user_id, data = excluded.data`,
		e.CompanyID, ns(e.Time), e.ID, clean(e.Kind), clean(e.Outcome), clean(e.Channel), clean(e.UserID), data)
	return mapErr(err, nil)
}

// Events lists companyID's events newest first. Every filter but Actor
// runs in SQL; Actor (a case-insensitive substring, with Go's notion of
// case) is checked here on the rows as they stream in, up to f.Limit.
func (d *DB) Events(ctx context.Context, companyID string, f store.EventFilter) ([]store.AuditEvent, error) {
	where := []string{"company_id = $1"}
	args := []any{companyID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	for _, c := range []struct{ col, v string }{{"kind", f.Kind}, {"outcome", f.Outcome}, {"channel", f.Channel}, {"user_id", f.UserID}} {
		if c.v != "" {
			add(c.col+" = $%d", clean(c.v))
		}
	}
	if !f.Since.IsZero() {
		add("at_ns >= $%d", ns(f.Since))
	}
	if !f.Until.IsZero() {
		add("at_ns < $%d", ns(f.Until))
	}
	sql := `SELECT data FROM audit_events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY at_ns DESC, id DESC`
	if f.Limit > 0 && f.Actor == "" {
		sql += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := d.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err, nil)
	}
	defer rows.Close()
	out := []store.AuditEvent{}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, mapErr(err, nil)
		}
		e, err := decode[store.AuditEvent](raw)
		if err != nil {
			return nil, err
		}
		if !f.Match(e) {
			continue
		}
		out = append(out, e)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, mapErr(rows.Err(), nil)
}

// PurgeEvents deletes events older than before in every company.
func (d *DB) PurgeEvents(ctx context.Context, before time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM audit_events WHERE at_ns < $1`, ns(before))
	if err != nil {
		return 0, mapErr(err, nil)
	}
	return int(tag.RowsAffected()), nil
}
