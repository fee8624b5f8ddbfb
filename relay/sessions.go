package relay

import (
	"crypto/subtle"
	"sync"
	"time"
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

// consoleSession is a signed-in console user. Sessions live in memory: a
// relay restart signs everybody out, which is acceptable until the console
// grows a shared session store.
type consoleSession struct {
	companyID string
	userID    string
	admin     bool
	csrf      string // the token every form of this session must carry
	lastUsed  time.Time
}

type sessionStore struct {
	mu   sync.Mutex
	m    map[string]*consoleSession
	idle time.Duration // sessionIdle; tests shorten it
}

func newSessionStore() *sessionStore {
	return &sessionStore{m: map[string]*consoleSession{}, idle: sessionIdle}
}

// setIdle changes the idle time-out (tests).
func (st *sessionStore) setIdle(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.idle = d
}

// create starts a session and returns its id. A new id at every login
// keeps a planted cookie from being promoted to a signed-in session.
func (st *sessionStore) create(companyID, userID string, admin bool) (id string, sess consoleSession) {
	now := time.Now()
	id = newAgentSecret() // 32 random bytes, base64url
	sess = consoleSession{companyID: companyID, userID: userID, admin: admin, csrf: newAgentSecret(), lastUsed: now}
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, v := range st.m {
		if now.Sub(v.lastUsed) > st.idle {
			delete(st.m, k)
		}
	}
	st.m[id] = &sess
	return id, sess
}

// get returns the live session id and marks it used.
func (st *sessionStore) get(id string) (consoleSession, bool) {
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.m[id]
	if s == nil {
		return consoleSession{}, false
	}
	if now.Sub(s.lastUsed) > st.idle {
		delete(st.m, id)
		return consoleSession{}, false
	}
	s.lastUsed = now
	return *s, true
}

func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.m, id)
}

// sameToken compares CSRF tokens in constant time; empty never matches.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
