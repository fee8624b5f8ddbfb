package relay

import (
	"context"
	"net/http"

	"github.com/edgeprint/edgeprint/relay/store"
)

// apiPrinter is a printer as the admin API shows it: the release settings
// plus, for printers an agent found, where it came from and its state.
type apiPrinter struct {
	printerResponse
	Source    string           `json:"source"` // "manual" or "discovered"
	AgentID   string           `json:"agent_id,omitempty"`
	Discovery *store.Discovery `json:"discovery,omitempty"`
}

func toAPIPrinter(p store.Printer) apiPrinter {
	src := p.Source
	if src == store.PrinterManual {
		src = "manual"
	}
	return apiPrinter{printerResponse: toPrinterResponse(p), Source: src, AgentID: p.AgentID, Discovery: p.Discovery}
}

// patchPrinter enables, disables or renames a printer:
// PATCH /api/v1/printers/{id} {"enabled":true,"name":"2nd floor"}.
func (s *Server) patchPrinter(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req struct {
		Enabled *bool   `json:"enabled"`
		Name    *string `json:"name"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Enabled == nil && req.Name == nil {
		return badRequest("nothing to change: give enabled and/or name")
	}
	var name string
	if req.Name != nil {
		n, err := cleanName("name", *req.Name)
		if err != nil {
			return err
		}
		name = n
	}
	p, err := s.store.UpdatePrinter(r.Context(), companyID, r.PathValue("id"), func(p *store.Printer) error {
		if req.Enabled != nil {
			p.Enabled = *req.Enabled
		}
		if req.Name != nil {
			p.Name = name
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Info("printer changed", "company", companyID, "printer", p.ID, "enabled", p.Enabled, "name", p.Name)
	s.configChanged(companyID)
	writeJSON(w, http.StatusOK, toAPIPrinter(p))
	return nil
}

// discoverNow asks a connected agent of the company to sweep now:
// POST /api/v1/agents/{id}/discover.
func (s *Server) discoverNow(w http.ResponseWriter, r *http.Request, companyID string) error {
	id := r.PathValue("id")
	if !s.hub.connected(r.Context(), companyID)[id] {
		ag, err := s.store.Agent(r.Context(), id)
		if err != nil {
			return err
		}
		if ag.CompanyID != companyID {
			return store.ErrNotFound
		}
		return errorf(http.StatusConflict, "agent is not connected")
	}
	ctx, cancel := context.WithTimeout(r.Context(), pushTimeout)
	defer cancel()
	resp, err := s.hub.call(ctx, companyID, id, agentRequest{Method: http.MethodPost, Path: "/relay/v1/discover"})
	if err != nil {
		return errorf(http.StatusBadGateway, "agent: %v", err)
	}
	if resp.Status/100 != 2 {
		return errorf(http.StatusConflict, "agent answered %d", resp.Status)
	}
	s.log.Info("sweep requested", "company", companyID, "agent", id)
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sweep started"})
	return nil
}
