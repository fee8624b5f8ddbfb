package bolt

import (
	"context"
	"sync"
	"time"
)

// limits keeps token buckets in memory: an embedded store serves one
// process, and a restart refilling every bucket gives an attacker one
// burst more, no more.
type limits struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens  float64
	updated time.Time
}

// Limit spends or checks one token of key's bucket.
func (d *DB) Limit(ctx context.Context, key string, every time.Duration, burst int, spend bool, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	l := &d.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), updated: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.updated); elapsed > 0 && every > 0 {
		b.tokens = min(float64(burst), b.tokens+float64(elapsed)/float64(every))
	}
	if now.After(b.updated) {
		b.updated = now
	}
	if b.tokens < 1 {
		return false, nil
	}
	if spend {
		b.tokens--
	}
	return true, nil
}

// PruneLimits forgets buckets last changed before before.
func (d *DB) PruneLimits(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l := &d.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for k, b := range l.buckets {
		if b.updated.Before(before) {
			delete(l.buckets, k)
			n++
		}
	}
	return n, nil
}

// runs remembers the last claim of each periodic job, in memory: one
// process runs everything, and after a restart running once more is
// harmless (every job is idempotent).
type runs struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// ClaimRun reports whether name is due: every has passed since the last
// claim that returned true.
func (d *DB) ClaimRun(ctx context.Context, name string, every time.Duration, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	r := &d.runs
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]time.Time{}
	}
	if last, ok := r.last[name]; ok && now.Sub(last) < every {
		return false, nil
	}
	r.last[name] = now
	return true, nil
}
