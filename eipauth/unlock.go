package eipauth

import (
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Alphabet is what unlock codes are made of: no 0/O, 1/I/L, 2/Z, 5/S, 8/B
// or G/6, so a code read off a panel is typed right on a phone.
const Alphabet = "ACDEFHJKMNPRTUVWXY34679"

const (
	// CodeLength is the number of characters of an unlock code.
	CodeLength = 4
	// CodeTTL is how long a code stays valid unused; it then rotates.
	CodeTTL = 10 * time.Minute
	// codeAttemptsEvery and codeAttemptsBurst limit unlock attempts per
	// user and, separately, per printer: 23^4 = 279841 codes, so a guesser
	// at one attempt per 10 seconds needs weeks for even odds, and the code
	// rotates every CodeTTL anyway.
	codeAttemptsEvery = 10 * time.Second
	codeAttemptsBurst = 5
	// maxLimiters bounds the rate limiter maps; idle ones are dropped.
	maxLimiters = 10000
)

// Errors of unlock attempts.
var (
	ErrBadCode     = errors.New("eipauth: wrong unlock code")
	ErrRateLimited = errors.New("eipauth: too many unlock attempts")
)

type code struct {
	value   string
	expires time.Time
}

// Codes holds each printer's current unlock code.
type Codes struct {
	mu       sync.Mutex
	codes    map[string]code // by printer id
	users    map[string]*rate.Limiter
	printers map[string]*rate.Limiter
}

// NewCodes makes an empty set of codes.
func NewCodes() *Codes {
	return &Codes{codes: map[string]code{}, users: map[string]*rate.Limiter{}, printers: map[string]*rate.Limiter{}}
}

// Current returns the printer's code, making a new one if it has none or
// it expired.
func (c *Codes) Current(printerID string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.current(printerID, time.Now())
}

func (c *Codes) current(printerID string, now time.Time) string {
	k, ok := c.codes[printerID]
	if !ok || !now.Before(k.expires) {
		k = code{value: NewCode(), expires: now.Add(CodeTTL)}
		c.codes[printerID] = k
	}
	return k.value
}

// Check takes one attempt of userID at printerID's code. A right code
// rotates at once, so it works once.
func (c *Codes) Check(printerID, userID, attempt string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !limiter(c.users, userID, now).AllowN(now, 1) || !limiter(c.printers, printerID, now).AllowN(now, 1) {
		return ErrRateLimited
	}
	if normalizeCode(attempt) != c.current(printerID, now) {
		return ErrBadCode
	}
	delete(c.codes, printerID)
	return nil
}

// Rotate drops the printer's code; the next Current makes a new one.
func (c *Codes) Rotate(printerID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.codes, printerID)
}

func limiter(m map[string]*rate.Limiter, key string, now time.Time) *rate.Limiter {
	l := m[key]
	if l == nil {
		if len(m) >= maxLimiters {
			for k, v := range m {
				if v.TokensAt(now) >= codeAttemptsBurst {
					delete(m, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Every(codeAttemptsEvery), codeAttemptsBurst)
		m[key] = l
	}
	return l
}

// NewCode makes a random code from Alphabet.
func NewCode() string {
	b := make([]byte, CodeLength)
	for i := range b {
		b[i] = Alphabet[randIntn(len(Alphabet))]
	}
	return string(b)
}

func randIntn(n int) int {
	// Rejection sampling keeps every character equally likely.
	limit := 256 - 256%n
	var one [1]byte
	for {
		rand.Read(one[:])
		if int(one[0]) < limit {
			return int(one[0]) % n
		}
	}
}

// normalizeCode upper-cases and drops spaces and dashes people type.
func normalizeCode(s string) string {
	out := make([]byte, 0, CodeLength)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		if ch == ' ' || ch == '-' {
			continue
		}
		out = append(out, ch)
	}
	return string(out)
}
