package agent

import (
	"context"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/tunnel"
)

// sessionWait is how long a relay call waits for the tunnel to come up: long
// enough to ride out an agent start or a relay restart, short enough that a
// printing client gets its "try again" answer well within its own timeout.
const sessionWait = 5 * time.Second

// sessionHolder holds the current tunnel session, if any, and lets callers
// wait for one.
type sessionHolder struct {
	mu sync.Mutex
	s  *tunnel.Session
	up chan struct{} // closed while s is set
}

func newSessionHolder() *sessionHolder {
	return &sessionHolder{up: make(chan struct{})}
}

func (h *sessionHolder) set(s *tunnel.Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case s != nil && h.s == nil:
		close(h.up)
	case s == nil && h.s != nil:
		h.up = make(chan struct{})
	}
	h.s = s
}

func (h *sessionHolder) get() *tunnel.Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s
}

// wait returns the session, waiting up to sessionWait for one; nil if none
// came.
func (h *sessionHolder) wait(ctx context.Context) *tunnel.Session {
	h.mu.Lock()
	s, up := h.s, h.up
	h.mu.Unlock()
	if s != nil {
		return s
	}
	t := time.NewTimer(sessionWait)
	defer t.Stop()
	select {
	case <-up:
		return h.get()
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}
