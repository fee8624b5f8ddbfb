package relay

import (
	"context"
	"encoding/json"
	"net/http"
)

// panelLogout is POST /api/v1/printers/{id}/logout: an admin ends the
// session on the printer's panel. The company's agents are asked in turn
// (POST /relay/v1/panel/logout); the one serving the printer ends its
// session (and the SSO tokens of it) and tells the printer.
func (s *Server) panelLogout(w http.ResponseWriter, r *http.Request, companyID string) error {
	p, err := s.store.Printer(r.Context(), companyID, r.PathValue("id"))
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"printer_id": p.ID})
	ctx, cancel := context.WithTimeout(r.Context(), unlockTimeout)
	defer cancel()
	agents, err := s.hub.tunnels(ctx, companyID)
	if err != nil {
		return err
	}
	for _, a := range agents {
		resp, err := s.hub.call(ctx, companyID, a.AgentID, agentRequest{Method: http.MethodPost, Path: "/relay/v1/panel/logout", Body: body})
		if err != nil {
			s.log.Warn("panel logout: agent could not answer", "agent", a.AgentID, "err", err)
			continue
		}
		switch resp.Status {
		case http.StatusNotFound:
			continue
		case http.StatusNoContent:
			s.log.Info("panel logout forced", "audit", true, "company", companyID, "printer", p.ID)
			w.WriteHeader(http.StatusNoContent)
			return nil
		case http.StatusBadGateway:
			return errorf(http.StatusBadGateway, "the session ended at the agent, but the printer did not take the logout")
		default:
			return errorf(http.StatusBadGateway, "the agent answered %d", resp.Status)
		}
	}
	return errorf(http.StatusServiceUnavailable, "no connected agent serves this printer")
}
