package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/ldapauth"
	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// directoryTimeout bounds one directory login through the agents,
	// failover between agents included. It is under the agent's own relay
	// call timeout (15 s), so an IPP client behind /agent/v1/auth gets a
	// 503 rather than a dropped call.
	directoryTimeout = 12 * time.Second
	// domainsHeader lists, on the tunnel handshake, the directory domains
	// the agent serves.
	domainsHeader = "X-Edgeprint-Ldap-Domains"
	// maxDomains bounds what an agent may announce.
	maxDomains = 64
)

// errDirectoryUnavailable is the answer when no agent could ask the
// company's directory: none serves the domain, none answered in time, or
// the directory itself is down. It is never an accept.
var errDirectoryUnavailable = errorf(http.StatusServiceUnavailable, "directory unavailable")

// companyLogin checks a login of company c its way: the relay's own
// password hashes for AuthLocal, the company's directory through an agent
// for AuthLDAP. Every interface that takes a username and password (the
// console, the print queue through /agent/v1/auth) comes here. The password
// is neither logged nor stored.
func (s *Server) companyLogin(ctx context.Context, c store.Company, username, pw string) (store.User, error) {
	if c.AuthType != store.AuthLDAP {
		return s.checkPassword(ctx, c.ID, username, pw)
	}
	id, err := s.directoryLogin(ctx, c, username, pw)
	if err != nil {
		return store.User{}, err
	}
	return s.directoryUser(ctx, c.ID, id)
}

// directoryLogin asks an agent serving the login's domain (or the
// company's default domain) to bind as the user. Agents that serve the
// domain are tried in turn while they answer "unavailable".
func (s *Server) directoryLogin(ctx context.Context, c store.Company, username, pw string) (ldapauth.Identity, error) {
	if pw == "" {
		return ldapauth.Identity{}, errUnauthorized
	}
	login, err := ldapauth.ParseLogin(username)
	if err != nil {
		return ldapauth.Identity{}, errUnauthorized
	}
	domain := login.Domain
	if domain == "" {
		domain = c.DefaultDomain
	}
	agents, err := s.agentsForDomain(ctx, c.ID, domain)
	if err != nil {
		return ldapauth.Identity{}, err
	}
	if len(agents) == 0 {
		s.log.Warn("directory login: no connected agent serves the domain", "company", c.ID, "domain", domain)
		return ldapauth.Identity{}, errDirectoryUnavailable
	}
	timeout := s.directoryTimeout
	if timeout == 0 {
		timeout = directoryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(map[string]string{"username": username, "password": pw, "domain": c.DefaultDomain})
	if err != nil {
		return ldapauth.Identity{}, err
	}
	for _, a := range agents {
		id, err := s.askAgent(ctx, a, body)
		if err == nil || errors.Is(err, errUnauthorized) {
			return id, err
		}
		s.log.Warn("directory login: agent could not answer", "company", c.ID, "agent", a.AgentID, "domain", domain, "err", err)
		if ctx.Err() != nil {
			break
		}
	}
	return ldapauth.Identity{}, errDirectoryUnavailable
}

// askAgent is POST /relay/v1/ldap/authenticate to one agent. The body
// holds the password: between replicas it travels sealed (hub_seal.go).
func (s *Server) askAgent(ctx context.Context, a store.Tunnel, body []byte) (ldapauth.Identity, error) {
	resp, err := s.hub.call(ctx, a.CompanyID, a.AgentID, agentRequest{Method: http.MethodPost, Path: "/relay/v1/ldap/authenticate", Body: body})
	if err != nil {
		return ldapauth.Identity{}, err
	}
	switch resp.Status {
	case http.StatusOK:
		var id ldapauth.Identity
		if err := json.Unmarshal(resp.Body, &id); err != nil || id.DN == "" {
			return ldapauth.Identity{}, fmt.Errorf("agent answered an unusable identity")
		}
		return id, nil
	case http.StatusUnauthorized:
		return ldapauth.Identity{}, errUnauthorized
	}
	return ldapauth.Identity{}, fmt.Errorf("agent answered %d", resp.Status)
}

// directoryUser finds or creates the relay's record of a directory user,
// keyed by email, and brings its name, admin flag and DN up to date. A
// badge number from the directory is enrolled unless another user holds
// it. No password is kept.
func (s *Server) directoryUser(ctx context.Context, companyID string, id ldapauth.Identity) (store.User, error) {
	email, err := store.NormalizeEmail(id.Email)
	if err != nil {
		s.log.Warn("directory login: the entry has no usable email", "company", companyID, "dn", id.DN)
		return store.User{}, errUnauthorized
	}
	name := cleanText(id.Name, maxNameLen)
	if name == "" {
		name = email
	}
	card := ""
	if id.Card != "" {
		if card, err = store.NormalizeCard(id.Card); err != nil {
			s.log.Warn("directory login: badge number is not a card number", "company", companyID, "dn", id.DN)
			card = ""
		}
	}
	for range 2 { // a second round after losing a creation race
		u, err := s.store.UserByEmail(ctx, companyID, email)
		if errors.Is(err, store.ErrNotFound) {
			u = store.User{ID: newID(), CompanyID: companyID, Email: email, Name: name, Admin: id.Admin,
				DirectoryDN: id.DN, Created: time.Now().UTC()}
			if s.cardFree(ctx, companyID, card, "") {
				u.Cards = []string{card}
			}
			err = s.store.CreateUser(ctx, u)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			if err == nil {
				s.log.Info("directory user created", "company", companyID, "user", u.ID, "admin", u.Admin, "card", len(u.Cards) > 0)
			}
			return u, err
		} else if err != nil {
			return store.User{}, err
		}
		enrol := card != "" && !slices.Contains(u.Cards, card) && len(u.Cards) < maxCards && s.cardFree(ctx, companyID, card, u.ID)
		if u.Name == name && u.Admin == id.Admin && u.DirectoryDN == id.DN && !enrol {
			return u, nil
		}
		u, err = s.store.UpdateUser(ctx, companyID, u.ID, func(u *store.User) error {
			u.Name, u.Admin, u.DirectoryDN = name, id.Admin, id.DN
			if enrol {
				u.Cards = append(u.Cards, card)
			}
			return nil
		})
		if err == nil {
			s.log.Info("directory user updated", "company", companyID, "user", u.ID, "admin", u.Admin, "card_enrolled", enrol)
		}
		return u, err
	}
	return store.User{}, errDirectoryUnavailable
}

// cardFree reports whether card may be enrolled for user id: nobody else
// in the company holds it.
func (s *Server) cardFree(ctx context.Context, companyID, card, id string) bool {
	if card == "" {
		return false
	}
	u, err := s.store.UserByCard(ctx, companyID, card)
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	if err == nil && u.ID != id {
		s.log.Warn("directory badge number already belongs to another user; not enrolled", "company", companyID, "user", id, "holder", u.ID)
	}
	return false
}

// agentsForDomain lists the connected agents of companyID (on any
// replica) that serve domain; with no domain, every agent that serves
// any. They come by agent id.
func (s *Server) agentsForDomain(ctx context.Context, companyID, domain string) ([]store.Tunnel, error) {
	ts, err := s.hub.tunnels(ctx, companyID)
	if err != nil {
		return nil, err
	}
	var out []store.Tunnel
	for _, t := range ts {
		if len(t.Domains) > 0 && (domain == "" || slices.ContainsFunc(t.Domains, func(d string) bool { return strings.EqualFold(d, domain) })) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b store.Tunnel) int { return strings.Compare(a.AgentID, b.AgentID) })
	return out, nil
}

// parseDomains reads the domains header of a tunnel handshake.
func parseDomains(h string) []string {
	var out []string
	for d := range strings.SplitSeq(h, ",") {
		if d = strings.TrimSpace(d); d != "" && len(d) <= 253 && len(out) < maxDomains {
			out = append(out, d)
		}
	}
	return out
}

// checkAuthPatch validates the authentication fields of PATCH
// /api/v1/company.
func checkAuthPatch(req companyPatch) error {
	if req.AuthType != nil && *req.AuthType != store.AuthLocal && *req.AuthType != store.AuthLDAP {
		return badRequest("auth_type must be %q or %q", store.AuthLocal, store.AuthLDAP)
	}
	if req.DefaultDomain != nil && *req.DefaultDomain != "" {
		if _, err := ldapauth.ParseLogin(`x@` + *req.DefaultDomain); err != nil && !validNetBIOS(*req.DefaultDomain) {
			return badRequest("default_domain must be a DNS or NetBIOS domain name")
		}
	}
	return nil
}

func applyAuthPatch(c *store.Company, req companyPatch) {
	if req.AuthType != nil {
		c.AuthType = *req.AuthType
	}
	if req.DefaultDomain != nil {
		c.DefaultDomain = strings.TrimSpace(*req.DefaultDomain)
	}
}

func validNetBIOS(d string) bool {
	l, err := ldapauth.ParseLogin(d + `\x`)
	return err == nil && l.Domain == d
}
