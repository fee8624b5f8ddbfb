package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeprint/edgeprint/ldapauth"
)

const (
	// DomainsHeader lists, on the tunnel handshake, the directory domains
	// this agent serves, comma-separated (docs/agent-protocol.md).
	DomainsHeader = "X-Edgeprint-Ldap-Domains"
	// maxDirectoryLoginBody bounds a directory login request from the relay.
	maxDirectoryLoginBody = 8 << 10
)

// DirectoryLogin is the body of POST /relay/v1/ldap/authenticate.
type DirectoryLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Domain is the company's default domain, for names without one.
	Domain string `json:"domain,omitempty"`
}

func validateLDAP(cfgs []ldapauth.Config) []error {
	var errs []error
	seen := map[string]bool{}
	for i, c := range cfgs {
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("ldap[%d]: %w", i, err))
		}
		for _, d := range c.Domains {
			if seen[strings.ToLower(d)] {
				errs = append(errs, fmt.Errorf("ldap[%d]: domain %q is served by an earlier directory", i, d))
			}
			seen[strings.ToLower(d)] = true
		}
	}
	return errs
}

func newDirectory(cfgs []ldapauth.Config, logger *slog.Logger, reg prometheus.Registerer) (*ldapauth.Directory, error) {
	if len(cfgs) == 0 {
		return nil, nil
	}
	d, err := ldapauth.NewDirectory(cfgs, logger.With("component", "ldap"))
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	d.Metrics = ldapauth.NewMetrics(reg)
	return d, nil
}

// announceDomains tells the relay, on the tunnel handshake, which domains'
// logins to send here.
func (a *Agent) announceDomains(h http.Header) {
	if a.dir != nil {
		h.Set(DomainsHeader, strings.Join(a.dir.Domains(), ","))
	}
}

// serveDirectoryLogin is POST /relay/v1/ldap/authenticate: the relay asks
// the directory about a login. The password is used for the bind and then
// dropped; neither it nor the request body is ever logged.
//
// 200 identity; 401 invalid credentials ({"locked":true} for a locked
// account); 404 domain not served here; 503 directory unavailable.
func (a *Agent) serveDirectoryLogin(w http.ResponseWriter, r *http.Request) {
	if a.dir == nil {
		writeAgentJSON(w, http.StatusNotFound, map[string]any{"error": "no directory configured"})
		return
	}
	var req DirectoryLogin
	if err := decodeStrict(mustRead(w, r, maxDirectoryLoginBody), &req); err != nil {
		writeAgentJSON(w, http.StatusBadRequest, map[string]any{"error": "bad request"})
		return
	}
	log := a.log.With("component", "ldap", "username", req.Username)
	id, err := a.dir.Authenticate(r.Context(), req.Username, req.Password, req.Domain)
	switch {
	case err == nil:
		log.Info("directory login accepted", "dn", id.DN, "groups", len(id.Groups), "admin", id.Admin)
		writeAgentJSON(w, http.StatusOK, id)
	case errors.Is(err, ldapauth.ErrInvalidCredentials):
		locked := errors.Is(err, ldapauth.ErrAccountLocked)
		log.Info("directory login refused", "locked", locked)
		writeAgentJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid credentials", "locked": locked})
	case errors.Is(err, ldapauth.ErrUnknownDomain):
		log.Info("directory login for a domain not served here", "domain", req.Domain)
		writeAgentJSON(w, http.StatusNotFound, map[string]any{"error": "domain not served"})
	default:
		log.Warn("directory unavailable", "err", err)
		writeAgentJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "directory unavailable"})
	}
}

func mustRead(w http.ResponseWriter, r *http.Request, limit int64) []byte {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil
	}
	return data
}

func writeAgentJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
