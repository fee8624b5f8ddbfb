package relay

import (
	"context"
	"log/slog"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// Rate limits on credential checks. A key (client address, company, or
// address, company and email) gets Burst attempts at once, then one per
// Every. Registrations count every attempt; logins count failures.
const (
	registerPerIPEvery      = 10 * time.Second
	registerPerIPBurst      = 20
	registerPerCompanyEvery = 10 * time.Second
	registerPerCompanyBurst = 20
	loginEvery              = 10 * time.Second
	loginBurst              = 10
	// limiterIdle is how long an unused key is kept; by then its bucket
	// is full again, so forgetting it changes nothing.
	limiterIdle = time.Hour
)

// keyedLimiter is a token bucket per key, kept in the store so that every
// replica spends from the same buckets. A store error refuses the attempt:
// a limit that fails open is no limit.
type keyedLimiter struct {
	store store.LimitStore
	log   *slog.Logger
	name  string // keeps one limiter's keys apart from another's
	every time.Duration
	burst int
}

func newKeyedLimiter(st store.LimitStore, log *slog.Logger, name string, every time.Duration, burst int) *keyedLimiter {
	return &keyedLimiter{store: st, log: log, name: name, every: every, burst: burst}
}

// allow spends one attempt of key and reports whether there was one.
func (l *keyedLimiter) allow(ctx context.Context, key string) bool {
	return l.limit(ctx, key, true)
}

// ok reports whether key has an attempt left, without spending it: logins
// check ok first and spend (allow) only on failure, so people who type
// their password right are never locked out by the limit.
func (l *keyedLimiter) ok(ctx context.Context, key string) bool {
	return l.limit(ctx, key, false)
}

func (l *keyedLimiter) limit(ctx context.Context, key string, spend bool) bool {
	ok, err := l.store.Limit(ctx, l.name+"\x00"+key, l.every, l.burst, spend, time.Now().UTC())
	if err != nil {
		if ctx.Err() == nil {
			l.log.Error("rate limit", "limit", l.name, "err", err)
		}
		return false
	}
	return ok
}
