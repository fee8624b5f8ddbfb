package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
	for _, a := range s.agents.company(companyID) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://peer/relay/v1/panel/logout", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.sess.Client().Do(req)
		if err != nil {
			s.log.Warn("panel logout: agent could not answer", "agent", a.agent.ID, "err", err)
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusNotFound:
			continue
		case http.StatusNoContent:
			s.log.Info("panel logout forced", "audit", true, "company", companyID, "printer", p.ID)
			w.WriteHeader(http.StatusNoContent)
			return nil
		case http.StatusBadGateway:
			return errorf(http.StatusBadGateway, "the session ended at the agent, but the printer did not take the logout")
		default:
			return errorf(http.StatusBadGateway, "the agent answered %s", resp.Status)
		}
	}
	return errorf(http.StatusServiceUnavailable, "no connected agent serves this printer")
}
