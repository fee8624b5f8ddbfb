package relay

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// settings are the company settings the console's settings page and
// GET/PATCH /api/v1/settings show and change.
type settings struct {
	Retention           store.Retention `json:"retention"`
	AutoRelease         bool            `json:"auto_release"`
	AuthType            string          `json:"auth_type"`
	SecurePrintRequired bool            `json:"secure_print_required"`
}

type settingsPatch struct {
	Retention           *store.Retention `json:"retention"`
	AutoRelease         *bool            `json:"auto_release"`
	AuthType            *string          `json:"auth_type"`
	SecurePrintRequired *bool            `json:"secure_print_required"`
}

func toSettings(c store.Company) settings {
	return settings{Retention: c.Retention, AutoRelease: c.AutoRelease, AuthType: c.AuthType, SecurePrintRequired: c.SecurePrintRequired}
}

// changeSettings validates and applies p to companyID, audits the change
// as actor's and pushes the new configuration to the agents.
func (s *Server) changeSettings(ctx context.Context, companyID, actorID string, p settingsPatch) (store.Company, error) {
	if p.Retention != nil && !p.Retention.Valid() {
		return store.Company{}, badRequest("retention must be %q, %q or %q", store.RetentionImmediate, store.RetentionOneDay, store.RetentionSevenDays)
	}
	auth := companyPatch{AuthType: p.AuthType}
	if err := checkAuthPatch(auth); err != nil {
		return store.Company{}, err
	}
	c, err := s.store.UpdateCompany(ctx, companyID, func(c *store.Company) error {
		applyAuthPatch(c, auth)
		if p.Retention != nil {
			c.Retention = *p.Retention
		}
		if p.AutoRelease != nil {
			c.AutoRelease = *p.AutoRelease
		}
		if p.SecurePrintRequired != nil {
			c.SecurePrintRequired = *p.SecurePrintRequired
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	st := toSettings(c)
	s.auditAdmin(ctx, companyID, actorID, fmt.Sprintf("settings: retention %s, auto-release %t, auth %s, secure print required %t",
		st.Retention, st.AutoRelease, st.AuthType, st.SecurePrintRequired))
	s.configChanged(companyID)
	return c, nil
}

// auditAdmin records a change an admin (actorID; empty for an API token)
// made.
func (s *Server) auditAdmin(ctx context.Context, companyID, actorID, detail string) {
	ch := store.ChannelConsole
	if actorID == "" {
		ch = store.ChannelAPI
	}
	s.audit(ctx, store.AuditEvent{CompanyID: companyID, Kind: store.EventAdmin, Channel: ch, UserID: actorID,
		Outcome: store.OutcomeOK, Detail: cleanText(detail, 512)})
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, companyID string) error {
	c, err := s.store.Company(r.Context(), companyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSettings(c))
	return nil
}

func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request, companyID string) error {
	var p settingsPatch
	if err := decodeJSON(w, r, &p, false); err != nil {
		return err
	}
	c, err := s.changeSettings(r.Context(), companyID, "", p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSettings(c))
	return nil
}

// Sites.

type siteResponse struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

func (s *Server) addSite(ctx context.Context, companyID, actorID, name string) (store.Site, error) {
	name, err := cleanName("name", name)
	if err != nil {
		return store.Site{}, err
	}
	st := store.Site{ID: newID(), CompanyID: companyID, Name: name, Created: time.Now().UTC()}
	if err := s.store.CreateSite(ctx, st); err != nil {
		return st, err
	}
	s.auditAdmin(ctx, companyID, actorID, "site added: "+name)
	return st, nil
}

func (s *Server) createSite(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	st, err := s.addSite(r.Context(), companyID, "", req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": st.ID})
	return nil
}

func (s *Server) listSites(w http.ResponseWriter, r *http.Request, companyID string) error {
	sites, err := s.store.Sites(r.Context(), companyID)
	if err != nil {
		return err
	}
	out := make([]siteResponse, 0, len(sites))
	for _, st := range sites {
		out = append(out, siteResponse{ID: st.ID, Name: st.Name, Created: st.Created})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// printerChange is what the console's printer form (and PUT
// /api/v1/printers/{id}/site) may change; nil fields stay.
type printerChange struct {
	Name    *string
	Enabled *bool
	SiteID  *string
}

func (s *Server) changePrinter(ctx context.Context, companyID, actorID, id string, ch printerChange) (store.Printer, error) {
	var name string
	if ch.Name != nil {
		var err error
		if name, err = cleanName("name", *ch.Name); err != nil {
			return store.Printer{}, err
		}
	}
	if ch.SiteID != nil && *ch.SiteID != "" {
		if _, err := s.store.Site(ctx, companyID, *ch.SiteID); err != nil {
			return store.Printer{}, badRequest("site_id: no such site")
		}
	}
	p, err := s.store.UpdatePrinter(ctx, companyID, id, func(p *store.Printer) error {
		if ch.Name != nil {
			p.Name = name
		}
		if ch.Enabled != nil {
			p.Enabled = *ch.Enabled
		}
		if ch.SiteID != nil {
			p.SiteID = *ch.SiteID
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	s.auditAdmin(ctx, companyID, actorID, fmt.Sprintf("printer %s: name %q, enabled %t, site %q", p.ID, p.Name, p.Enabled, p.SiteID))
	s.configChanged(companyID)
	return p, nil
}

// putPrinterSite assigns a printer to a site ("" for none):
// PUT /api/v1/printers/{id}/site {"site_id": "…"}.
func (s *Server) putPrinterSite(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req struct {
		SiteID *string `json:"site_id"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.SiteID == nil {
		return badRequest("site_id is required (empty for none)")
	}
	id := strings.TrimSpace(*req.SiteID)
	p, err := s.changePrinter(r.Context(), companyID, "", r.PathValue("id"), printerChange{SiteID: &id})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": p.ID, "site_id": p.SiteID})
	return nil
}
