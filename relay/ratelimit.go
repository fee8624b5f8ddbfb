package relay

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
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
	// limiterSweepEvery bounds how often allow scans for idle keys.
	limiterSweepEvery = time.Minute
)

// keyedLimiter is a token bucket per key.
type keyedLimiter struct {
	every time.Duration
	burst int

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newKeyedLimiter(every time.Duration, burst int) *keyedLimiter {
	return &keyedLimiter{every: every, burst: burst, buckets: map[string]*bucket{}}
}

// allow spends one attempt of key and reports whether there was one.
func (l *keyedLimiter) allow(key string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucket(key, now).lim.AllowN(now, 1)
}

// ok reports whether key has an attempt left, without spending it: logins
// check ok first and spend (allow) only on failure, so people who type
// their password right are never locked out by the limit.
func (l *keyedLimiter) ok(key string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucket(key, now).lim.TokensAt(now) >= 1
}

func (l *keyedLimiter) bucket(key string, now time.Time) *bucket {
	if now.Sub(l.lastSweep) > limiterSweepEvery {
		for k, b := range l.buckets {
			if now.Sub(b.used) > limiterIdle {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.used = now
	return b
}
