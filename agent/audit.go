package agent

import (
	"time"

	"github.com/edgeprint/edgeprint/eipauth"
)

// audit records one login attempt from any interface (panel, portal
// unlock, SSO, IPP) as a structured log line with audit=true. The relay's
// one-year audit store arrives with issue 9; these events are what it will
// take (agent → relay, batched) — until then the agent's log keeps them.
func (a *Agent) audit(e eipauth.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	a.log.Info("login attempt", "audit", true, "interface", e.Interface, "method", e.Method,
		"printer", e.Printer, "user", e.User, "result", e.Result, "remote", e.Remote, "at", e.Time)
}
