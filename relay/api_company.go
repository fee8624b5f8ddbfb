package relay

import (
	"net/http"

	"github.com/edgeprint/edgeprint/relay/store"
)

type companyResponse struct {
	ID        string          `json:"id"`
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	Retention store.Retention `json:"retention"`
	AuthType  string          `json:"auth_type"`
	// DefaultDomain is the directory domain of logins without one.
	DefaultDomain string `json:"default_domain,omitempty"`
	// UpdatesEnabled lets the company's agents update themselves.
	UpdatesEnabled bool `json:"updates_enabled"`
	// AutoRelease sends a user's held jobs to the printer they log in at.
	AutoRelease bool `json:"auto_release"`
}

type companyPatch struct {
	Name           *string          `json:"name"`
	Retention      *store.Retention `json:"retention"`
	UpdatesEnabled *bool            `json:"updates_enabled"`

	// How the company's users sign in (directory.go).
	AuthType      *string `json:"auth_type"`
	DefaultDomain *string `json:"default_domain"`

	AutoRelease *bool `json:"auto_release"` // portal_unlock.go
}

func toCompanyResponse(c store.Company) companyResponse {
	return companyResponse{ID: c.ID, Code: c.Code, Name: c.Name, Retention: c.Retention, AuthType: c.AuthType,
		DefaultDomain: c.DefaultDomain, UpdatesEnabled: !c.UpdatesOff, AutoRelease: c.AutoRelease}
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request, companyID string) error {
	c, err := s.store.Company(r.Context(), companyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCompanyResponse(c))
	return nil
}

// patchCompany changes the company's name or retention; the agents get
// the new configuration.
func (s *Server) patchCompany(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req companyPatch
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	var name string
	if req.Name != nil {
		var err error
		if name, err = cleanName("name", *req.Name); err != nil {
			return err
		}
	}
	if req.Retention != nil && !req.Retention.Valid() {
		return badRequest("retention must be %q, %q or %q", store.RetentionImmediate, store.RetentionOneDay, store.RetentionSevenDays)
	}
	if err := checkAuthPatch(req); err != nil {
		return err
	}
	c, err := s.store.UpdateCompany(r.Context(), companyID, func(c *store.Company) error {
		applyAuthPatch(c, req)
		applyPanelPatch(c, req)
		if req.Name != nil {
			c.Name = name
		}
		if req.Retention != nil {
			c.Retention = *req.Retention
		}
		if req.UpdatesEnabled != nil {
			c.UpdatesOff = !*req.UpdatesEnabled
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Info("company changed", "company", companyID, "retention", c.Retention, "auth_type", c.AuthType)
	s.configChanged(companyID)
	if req.UpdatesEnabled != nil && *req.UpdatesEnabled {
		s.announceUpdates(companyID, "")
	}
	writeJSON(w, http.StatusOK, toCompanyResponse(c))
	return nil
}
