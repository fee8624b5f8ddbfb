package ldapauth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Directory is every directory an agent serves, each for its domains.
type Directory struct {
	clients []*Client
	// Metrics, if set, counts the logins.
	Metrics *Metrics
}

// NewDirectory builds a client per configuration. A domain may appear in
// one configuration only.
func NewDirectory(cfgs []Config, logger *slog.Logger) (*Directory, error) {
	d := &Directory{}
	seen := map[string]bool{}
	for i, cfg := range cfgs {
		c, err := New(cfg, logger)
		if err != nil {
			return nil, fmt.Errorf("ldapauth: directory %d: %w", i, err)
		}
		for _, dom := range cfg.Domains {
			if seen[strings.ToLower(dom)] {
				return nil, fmt.Errorf("ldapauth: domain %q is in two directories", dom)
			}
			seen[strings.ToLower(dom)] = true
		}
		d.clients = append(d.clients, c)
	}
	return d, nil
}

// Domains lists every domain served, as configured.
func (d *Directory) Domains() []string {
	var out []string
	for _, c := range d.clients {
		out = append(out, c.cfg.Domains...)
	}
	return out
}

// Authenticate routes the login to the directory of its domain. domain
// names the directory for a name without one (a bare name or a DN); when
// it is empty too, the first directory answers.
func (d *Directory) Authenticate(ctx context.Context, username, password, domain string) (id Identity, err error) {
	start := time.Now()
	defer func() { d.Metrics.login(start, err) }()
	if l, err := ParseLogin(username); err == nil && l.Domain != "" {
		domain = l.Domain
	}
	for _, c := range d.clients {
		if domain == "" || c.cfg.Serves(domain) {
			return c.Authenticate(ctx, username, password)
		}
	}
	return Identity{}, ErrUnknownDomain
}

// Clients lists the directories' clients, in configuration order.
func (d *Directory) Clients() []*Client { return append([]*Client(nil), d.clients...) }
