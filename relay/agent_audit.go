package relay

import (
	"net/http"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// maxAuditBatch bounds one POST /agent/v1/audit.
const maxAuditBatch = 500

// agentAuditEvent is one login attempt an agent saw (eipauth.Event).
type agentAuditEvent struct {
	Time      time.Time `json:"time"`
	Interface string    `json:"interface"` // panel, portal, sso, ipp
	Method    string    `json:"method"`    // badge, password, unlock, token, logout
	Printer   string    `json:"printer,omitempty"`
	User      string    `json:"user,omitempty"`
	Result    string    `json:"result"`
	Remote    string    `json:"remote,omitempty"`
}

// agentAudit is POST /agent/v1/audit: login attempts at the agent's
// interfaces (printer panels, SSO, IPP), in batches. They are logged with
// audit=true under the agent's company; the audit store that keeps them a
// year comes with issue 9 and takes them from here.
func (s *Server) agentAudit(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	var req struct {
		Events []agentAuditEvent `json:"events"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if len(req.Events) > maxAuditBatch {
		return badRequest("at most %d events per call", maxAuditBatch)
	}
	for _, e := range req.Events {
		s.log.Info("login attempt", "audit", true, "company", a.CompanyID, "agent", a.ID,
			"interface", cleanText(e.Interface, 20), "method", cleanText(e.Method, 20),
			"printer", cleanText(e.Printer, 100), "user", cleanText(e.User, 200),
			"result", cleanText(e.Result, 20), "remote", cleanText(e.Remote, 100), "at", e.Time.UTC())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
