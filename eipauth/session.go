package eipauth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

const (
	// AuthenticatingTimeout ends a blocking-screen session nobody logged in
	// to; the printer starts a new one with InitAuthenticationSession.
	AuthenticatingTimeout = 5 * time.Minute
	// IdleTimeout ends a logged-in session without a ContinueOrCloseSession
	// or SSO call for this long, and with it the SSO tokens.
	IdleTimeout = 5 * time.Minute
)

// State is where a printer's panel session is.
type State string

// Session states: idle (no session) → authenticating → logged-in → closed.
const (
	StateIdle           State = "idle"
	StateAuthenticating State = "authenticating"
	StateLoggedIn       State = "logged-in"
	StateClosed         State = "closed"
)

// Errors of session operations.
var (
	ErrNoSession = errors.New("eipauth: no such session at this printer")
)

// session is one printer's panel session.
type session struct {
	id       string
	printer  Printer
	state    State
	user     User
	method   string
	pending  *User // an unlock code was entered for this session
	lastUsed time.Time
}

func (s *session) expired(now time.Time) bool {
	switch s.state {
	case StateAuthenticating:
		return now.Sub(s.lastUsed) > AuthenticatingTimeout
	case StateLoggedIn:
		return now.Sub(s.lastUsed) > IdleTimeout
	}
	return true
}

// sessions holds at most one live session per printer.
type sessions struct {
	mu        sync.Mutex
	byPrinter map[string]*session
}

func newSessions() *sessions { return &sessions{byPrinter: map[string]*session{}} }

// live returns the printer's session if it has not expired; an expired
// one is dropped. Called with mu held.
func (ss *sessions) live(printerID string, now time.Time) *session {
	s := ss.byPrinter[printerID]
	if s == nil {
		return nil
	}
	if s.expired(now) {
		s.state = StateClosed
		delete(ss.byPrinter, printerID)
		return nil
	}
	return s
}

// start replaces the printer's session with a new authenticating one and
// returns it and the replaced one's user if it was logged in.
func (ss *sessions) start(p Printer) (session, *User) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	var prev *User
	if old := ss.live(p.ID, now); old != nil && old.state == StateLoggedIn {
		u := old.user
		prev = &u
		old.state = StateClosed
	}
	s := &session{id: newSessionID(), printer: p, state: StateAuthenticating, lastUsed: now}
	ss.byPrinter[p.ID] = s
	return *s, prev
}

// get returns a copy of the printer's live session; id "" matches any.
func (ss *sessions) get(printerID, id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.live(printerID, time.Now())
	if s == nil || (id != "" && s.id != id) {
		return session{}, false
	}
	return *s, true
}

// touch marks the session used; false if it is gone or not logged in.
func (ss *sessions) touch(printerID, id string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	s := ss.live(printerID, now)
	if s == nil || s.id != id || s.state != StateLoggedIn {
		return false
	}
	s.lastUsed = now
	return true
}

// login moves an authenticating session to logged-in. It is false when the
// session is gone or another user already logged in.
func (ss *sessions) login(printerID, id string, u User, method string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	s := ss.live(printerID, now)
	if s == nil || s.id != id {
		return false
	}
	if s.state == StateLoggedIn {
		return s.user.ID == u.ID
	}
	s.state, s.user, s.method, s.pending, s.lastUsed = StateLoggedIn, u, method, nil, now
	return true
}

// setPending records that u entered the printer's unlock code.
func (ss *sessions) setPending(printerID string, u User) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.live(printerID, time.Now())
	if s == nil || s.state != StateAuthenticating {
		return ErrNoSession
	}
	s.pending = &u
	return nil
}

// close ends the printer's session (id "" for whichever is live) and
// returns it.
func (ss *sessions) close(printerID, id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.live(printerID, time.Now())
	if s == nil || (id != "" && s.id != id) {
		return session{}, false
	}
	s.state = StateClosed
	delete(ss.byPrinter, printerID)
	return *s, true
}

func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
