package relay

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// sessionIdle ends a console session nobody used for this long.
	sessionIdle = 20 * time.Minute
	// loginFormTTL is how long a login form's CSRF cookie lives.
	loginFormTTL = time.Hour

	// __Host- cookies are sent only over HTTPS to this exact host, path /.
	sessionCookie = "__Host-edgeprint_session"
	csrfCookie    = "__Host-edgeprint_csrf"
)

// consoleSession is a signed-in console or portal user.
type consoleSession struct {
	companyID string
	userID    string
	admin     bool
	csrf      string // the token every form of this session must carry
}

// sessions keeps console sessions in the store, so every replica knows
// them and a restart signs nobody out. The store sees only the SHA-256 of
// the cookie value: reading the store does not give a usable cookie.
type sessions struct {
	store store.SessionStore
	log   *slog.Logger

	mu   sync.Mutex
	idle time.Duration // sessionIdle; tests shorten it
	skew time.Duration // added to the clock (tests age sessions)
}

func newSessions(st store.SessionStore, log *slog.Logger) *sessions {
	return &sessions{store: st, log: log, idle: sessionIdle}
}

// setIdle changes the idle time-out (tests).
func (st *sessions) setIdle(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.idle = d
}

// age moves the sessions' clock forward by d (tests).
func (st *sessions) age(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.skew += d
}

func (st *sessions) clock() (time.Time, time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return time.Now().UTC().Add(st.skew), st.idle
}

// create starts a session and returns its cookie value. A new value at
// every login keeps a planted cookie from being promoted to a signed-in
// session.
func (st *sessions) create(ctx context.Context, companyID, userID string, admin bool) (string, error) {
	now, _ := st.clock()
	id := newAgentSecret() // 32 random bytes, base64url
	err := st.store.CreateSession(ctx, store.Session{IDHash: sessionHash(id), CompanyID: companyID, UserID: userID,
		Admin: admin, CSRF: newAgentSecret(), Created: now, LastUsed: now})
	return id, err
}

// get returns the live session of cookie value id and marks it used. A
// store error counts as signed out, and is logged.
func (st *sessions) get(ctx context.Context, id string) (consoleSession, bool) {
	if id == "" {
		return consoleSession{}, false
	}
	now, idle := st.clock()
	s, err := st.store.TouchSession(ctx, sessionHash(id), now, idle)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			st.log.Error("console session lookup", "err", err)
		}
		return consoleSession{}, false
	}
	return consoleSession{companyID: s.CompanyID, userID: s.UserID, admin: s.Admin, csrf: s.CSRF}, true
}

func (st *sessions) delete(ctx context.Context, id string) {
	if err := st.store.DeleteSession(ctx, sessionHash(id)); err != nil {
		st.log.Error("console session delete", "err", err)
	}
}

func sessionHash(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// sameToken compares CSRF tokens in constant time; empty never matches.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
