package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/edgeprint/edgeprint/relay/store"
)

// CreateSession stores s.
func (d *DB) CreateSession(ctx context.Context, s store.Session) error {
	if len(s.IDHash) == 0 {
		return errEmptyHash
	}
	_, err := d.pool.Exec(ctx, `INSERT INTO sessions (id_hash, company_id, user_id, admin, csrf, created_ns, last_used_ns)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.IDHash, clean(s.CompanyID), clean(s.UserID), s.Admin, clean(s.CSRF), ns(s.Created), ns(s.LastUsed))
	return mapErr(err, map[string]string{"sessions_pkey": "session"})
}

// TouchSession moves the session's LastUsed to now unless it has been
// idle for longer than idle, in which case it is deleted. One statement
// each: the update only matches a live session, and the delete only an
// expired one, so concurrent touches on several replicas agree.
func (d *DB) TouchSession(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (store.Session, error) {
	s := store.Session{IDHash: idHash}
	if len(idHash) == 0 {
		return s, store.ErrNotFound
	}
	oldest := subSat(ns(now), int64(idle))
	var created, lastUsed int64
	err := d.pool.QueryRow(ctx, `UPDATE sessions SET last_used_ns = greatest(last_used_ns, $2)
		WHERE id_hash = $1 AND last_used_ns >= $3
		RETURNING company_id, user_id, admin, csrf, created_ns, last_used_ns`, idHash, ns(now), oldest).
		Scan(&s.CompanyID, &s.UserID, &s.Admin, &s.CSRF, &created, &lastUsed)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := d.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1 AND last_used_ns < $2`, idHash, oldest); err != nil {
			return s, mapErr(err, nil)
		}
		return s, store.ErrNotFound
	} else if err != nil {
		return s, mapErr(err, nil)
	}
	s.Created, s.LastUsed = fromNS(created), fromNS(lastUsed)
	return s, nil
}

// DeleteSession removes a session.
func (d *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := d.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return mapErr(err, nil)
}

// PruneSessions deletes sessions last used before before.
func (d *DB) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM sessions WHERE last_used_ns < $1`, ns(before))
	if err != nil {
		return 0, mapErr(err, nil)
	}
	return int(tag.RowsAffected()), nil
}

// Limit spends from or looks at the token bucket of key. The bucket is a
// theoretical arrival time (GCRA): full when tat <= now, holding a token
// when tat <= now + (burst-1)*every; spending moves tat by every. A
// spend is one upsert whose row lock serialises replicas.
func (d *DB) Limit(ctx context.Context, key string, every time.Duration, burst int, spend bool, now time.Time) (bool, error) {
	if burst < 1 {
		return false, nil
	}
	h := sha256.Sum256([]byte(key))
	at := ns(now)
	latest := addSat(at, mulSat(int64(burst-1), int64(every))) // the latest tat that still holds a token
	if !spend {
		var ok bool
		err := d.pool.QueryRow(ctx, `SELECT greatest(tat_ns, $2) <= $3 FROM limits WHERE key_hash = $1`,
			h[:], at, latest).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			return true, nil // a new bucket is full
		}
		return ok, mapErr(err, nil)
	}
	var ok bool
	err := d.pool.QueryRow(ctx, `INSERT INTO limits AS l (key_hash, tat_ns, changed_ns) VALUES ($1, $4, $2)
		ON CONFLICT (key_hash) DO UPDATE SET tat_ns = greatest(l.tat_ns, $2) + $5, changed_ns = $2
		WHERE greatest(l.tat_ns, $2) <= $3
		RETURNING true`, h[:], at, latest, addSat(at, int64(every)), int64(max(every, 0))).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return ok, mapErr(err, nil)
}

// PruneLimits forgets buckets last changed before before.
func (d *DB) PruneLimits(ctx context.Context, before time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM limits WHERE changed_ns < $1`, ns(before))
	if err != nil {
		return 0, mapErr(err, nil)
	}
	return int(tag.RowsAffected()), nil
}

// ClaimRun is one upsert: it inserts the first claim, or moves the last
// claim to now only if every has passed; the row lock makes exactly one
// of concurrent callers see its own change.
func (d *DB) ClaimRun(ctx context.Context, name string, every time.Duration, now time.Time) (bool, error) {
	if !validKey(name) {
		return false, checkKeys(name)
	}
	var ok bool
	err := d.pool.QueryRow(ctx, `INSERT INTO runs AS r (name, last_ns) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET last_ns = $2 WHERE r.last_ns <= $3
		RETURNING true`, name, ns(now), subSat(ns(now), int64(every))).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return ok, mapErr(err, nil)
}

// subSat is a-b, saturating instead of overflowing.
func subSat(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	if b < 0 && a > math.MaxInt64+b {
		return math.MaxInt64
	}
	return a - b
}

// addSat is a+b for non-negative b, saturating.
func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// mulSat is a*b for non-negative a and b, saturating.
func mulSat(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
