package store

import (
	"context"
	"strings"
	"time"
)

// SiteStore keeps a company's sites: the places its agents and printers
// are. Part of Store.
type SiteStore interface {
	// CreateSite adds s; a name already used in the company is a conflict.
	CreateSite(ctx context.Context, s Site) error
	// Sites lists a company's sites by name.
	Sites(ctx context.Context, companyID string) ([]Site, error)
	Site(ctx context.Context, companyID, id string) (Site, error)
}

// Site is a place with printers (an office, a floor).
type Site struct {
	ID        string    `json:"id"`
	CompanyID string    `json:"company_id"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
