package relay

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/edgeprint/edgeprint/relay/password"
	"github.com/edgeprint/edgeprint/relay/store"
)

// apiFunc is a JSON API handler. It gets the id of the company the API
// token belongs to and must scope everything it reads or writes to it.
type apiFunc func(w http.ResponseWriter, r *http.Request, companyID string) error

// api authenticates the request's API token and runs h for its company.
func (s *Server) api(h apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, err := s.tokenFor(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="edgeprint"`)
			writeError(w, r, s.log, err)
			return
		}
		if err := h(w, r, tok.CompanyID); err != nil {
			writeError(w, r, s.log, err)
		}
	}
}

// tokenFor returns the API token of "Authorization: Bearer ept_…".
func (s *Server) tokenFor(r *http.Request) (store.Token, error) {
	raw, ok := bearer(r)
	if !ok || !strings.HasPrefix(raw, tokenPrefix) {
		return store.Token{}, errUnauthorized
	}
	tok, err := s.store.TokenByHash(r.Context(), hashSecret(raw))
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, errUnauthorized
	}
	return tok, err
}

func bearer(r *http.Request) (string, bool) {
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// checkPassword returns the user of companyID with email if password is
// theirs. Every failure is errUnauthorized and costs one argon2id
// verification, so neither the answer nor its timing tells whether the
// email exists.
func (s *Server) checkPassword(ctx context.Context, companyID, email, pw string) (store.User, error) {
	u, err := s.store.UserByEmail(ctx, companyID, email)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.PasswordHash == "" {
		password.Burn(pw)
		return store.User{}, errUnauthorized
	} else if err != nil {
		return store.User{}, err
	}
	if err := password.Verify(u.PasswordHash, pw); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			s.log.Error("unreadable password hash", "user", u.ID, "err", err)
		}
		return store.User{}, errUnauthorized
	}
	return u, nil
}

// clientIP is the address of the peer of the connection. Forwarded headers
// are not trusted: behind a proxy, configure the proxy to limit rates.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
