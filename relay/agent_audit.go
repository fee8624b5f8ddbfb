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
// interfaces (printer panels, SSO, portal unlock codes), in batches, kept in
// the company's audit log for a year like every other login. IPP logins are
// skipped: the agent checks those at /agent/v1/auth, which records them.
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
		if e.Interface == "ipp" {
			continue
		}
		ev := store.AuditEvent{CompanyID: a.CompanyID, Kind: store.EventLogin,
			Channel: cleanText(e.Interface, 20), Actor: cleanText(e.User, 256), AgentID: a.ID,
			Outcome: agentOutcome(e.Result), Remote: cleanText(e.Remote, 100),
			Detail: cleanText(e.Method+" at printer "+e.Printer, 200)}
		ev.ID = newID()
		ev.Time = e.Time.UTC()
		if ev.Time.IsZero() || ev.Time.After(time.Now().Add(time.Minute)) {
			ev.Time = time.Now().UTC() // an agent's clock does not rewrite history
		}
		if err := s.store.AppendEvent(r.Context(), ev); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// agentOutcome maps an agent's result word to the audit log's outcomes.
func agentOutcome(result string) string {
	switch result {
	case "accepted":
		return store.OutcomeOK
	case "rate-limited":
		return store.OutcomeLimited
	case "error":
		return store.OutcomeUnavailable
	}
	return store.OutcomeRefused
}
