package agent

import (
	"context"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/eipauth"
)

const (
	// auditFlushEvery is how often queued login attempts go to the relay.
	auditFlushEvery = 5 * time.Second
	// auditBatch is the most events one call carries; a full batch is sent
	// at once.
	auditBatch = 100
	// auditQueueMax bounds the events kept while the relay is away; the
	// oldest go first (they are in the agent's log as well).
	auditQueueMax = 10000
)

// auditQueue holds login attempts until the relay has them.
type auditQueue struct {
	mu      sync.Mutex
	events  []eipauth.Event
	dropped int
	kick    chan struct{}
}

func newAuditQueue() *auditQueue { return &auditQueue{kick: make(chan struct{}, 1)} }

func (q *auditQueue) add(e eipauth.Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.events) >= auditQueueMax {
		q.events = q.events[1:]
		q.dropped++
	}
	q.events = append(q.events, e)
	if len(q.events) >= auditBatch {
		select {
		case q.kick <- struct{}{}:
		default:
		}
	}
}

// take removes up to auditBatch events.
func (q *auditQueue) take() []eipauth.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.events), auditBatch)
	out := append([]eipauth.Event(nil), q.events[:n]...)
	q.events = q.events[n:]
	return out
}

// putBack returns events the relay did not take, ahead of newer ones.
func (q *auditQueue) putBack(batch []eipauth.Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.events = append(batch, q.events...)
	if over := len(q.events) - auditQueueMax; over > 0 {
		q.events = q.events[over:]
		q.dropped += over
	}
}

// audit records one login attempt from any interface (panel, portal
// unlock, SSO, IPP): a structured log line with audit=true here, and a
// batch to the relay's POST /agent/v1/audit, which keeps the company's
// one-year audit log.
func (a *Agent) audit(e eipauth.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	a.log.Info("login attempt", "audit", true, "interface", e.Interface, "method", e.Method,
		"printer", e.Printer, "user", e.User, "result", e.Result, "remote", e.Remote, "at", e.Time)
	if a.auditQ != nil {
		a.auditQ.add(e)
	}
}

// auditLoop sends queued login attempts to the relay until ctx ends.
func (a *Agent) auditLoop(ctx context.Context) error {
	t := time.NewTicker(auditFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-a.auditQ.kick:
		}
		if a.session() != nil {
			a.flushAudit(ctx)
		}
	}
}

func (a *Agent) flushAudit(ctx context.Context) {
	for {
		batch := a.auditQ.take()
		if len(batch) == 0 {
			return
		}
		if err := a.relay.callJSON(ctx, "POST", "/agent/v1/audit", map[string]any{"events": batch}, nil); err != nil {
			a.auditQ.putBack(batch)
			a.log.Warn("audit events not delivered; will retry", "events", len(batch), "err", err)
			return
		}
	}
}
