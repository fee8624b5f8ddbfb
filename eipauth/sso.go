package eipauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// TokenTTL is how long an SSO token works; the panel app asks again.
const TokenTTL = 2 * time.Minute

// Errors of SSO tokens.
var (
	ErrBadToken     = errors.New("eipauth: bad SSO token")
	ErrTokenExpired = errors.New("eipauth: SSO token expired")
	ErrTokenRevoked = errors.New("eipauth: SSO token's session ended")
	ErrWrongPrinter = errors.New("eipauth: SSO token is for another printer")
)

// claims are what a token carries.
type claims struct {
	User    User   `json:"u"`
	Printer string `json:"p"`
	Session string `json:"s"`
	Expires int64  `json:"x"` // unix seconds
}

func (s *Service) sign(c claims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify checks the token's signature and expiry, that it is used from its
// printer, and that its session is still the printer's live, logged-in
// session (logout, CloseSession and idle expiry revoke it).
func (s *Service) verify(token, printerID string) (claims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return claims{}, ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return claims{}, ErrBadToken
	}
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(p))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return claims{}, ErrBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return claims{}, ErrBadToken
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, ErrBadToken
	}
	if !time.Now().Before(time.Unix(c.Expires, 0)) {
		return claims{}, ErrTokenExpired
	}
	if c.Printer != printerID {
		return claims{}, ErrWrongPrinter
	}
	sess, ok := s.sessions.get(c.Printer, c.Session)
	if !ok || sess.state != StateLoggedIn || sess.user.ID != c.User.ID || !s.sessions.touch(c.Printer, c.Session) {
		return claims{}, ErrTokenRevoked
	}
	return c, nil
}

// SSOHandler serves the panel apps' single sign-on and job API (README.md).
func (s *Service) SSOHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sso/v1/session", s.ssoSession)
	mux.HandleFunc("GET /sso/v1/jobs", s.withToken(func(w http.ResponseWriter, r *http.Request, c claims, p Printer) {
		jobs, err := s.cfg.Jobs.Jobs(r.Context(), c.User)
		if err != nil {
			s.jobError(w, err)
			return
		}
		if jobs == nil {
			jobs = []Job{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
	}))
	mux.HandleFunc("POST /sso/v1/jobs/{id}/release", s.withToken(func(w http.ResponseWriter, r *http.Request, c claims, p Printer) {
		if err := s.cfg.Jobs.Release(r.Context(), c.User, p, r.PathValue("id")); err != nil {
			s.jobError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("DELETE /sso/v1/jobs/{id}", s.withToken(func(w http.ResponseWriter, r *http.Request, c claims, p Printer) {
		if err := s.cfg.Jobs.Delete(r.Context(), c.User, r.PathValue("id")); err != nil {
			s.jobError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("POST /sso/v1/logout", s.withToken(func(w http.ResponseWriter, r *http.Request, c claims, p Printer) {
		if sess, ok := s.sessions.close(p.ID, c.Session); ok {
			s.ended(sess, "logout")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return mux
}

// ssoSession gives the panel app a token for the user logged in at the
// printer the request comes from.
func (s *Service) ssoSession(w http.ResponseWriter, r *http.Request) {
	s.cfg.Metrics.requests.WithLabelValues("sso_session").Inc()
	ev := Event{Interface: "sso", Method: "token", Remote: r.RemoteAddr}
	p, err := s.cfg.Printers.PrinterFor(s.printerKey(r, nil))
	if err != nil {
		ev.Result = "denied"
		s.audit(ev)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "not an enabled printer of this agent"})
		return
	}
	ev.Printer = p.ID
	sess, ok := s.sessions.get(p.ID, "")
	if !ok || sess.state != StateLoggedIn || !s.sessions.touch(p.ID, sess.id) {
		ev.Result = "denied"
		s.audit(ev)
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "nobody is logged in at this printer"})
		return
	}
	ev.User, ev.Result = sess.user.ID, "accepted"
	s.audit(ev)
	exp := time.Now().Add(TokenTTL)
	tok := s.sign(claims{User: sess.user, Printer: p.ID, Session: sess.id, Expires: exp.Unix()})
	writeJSON(w, http.StatusOK, map[string]any{
		"token": tok, "expires": exp.UTC().Format(time.RFC3339),
		"user": sess.user, "printer": p,
	})
}

type tokenHandler func(w http.ResponseWriter, r *http.Request, c claims, p Printer)

func (s *Service) withToken(h tokenHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.cfg.Metrics.requests.WithLabelValues("sso_api").Inc()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Authorization: Bearer <token> required"})
			return
		}
		p, err := s.cfg.Printers.PrinterFor(s.printerKey(r, nil))
		if err != nil {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "not an enabled printer of this agent"})
			return
		}
		c, err := s.verify(tok, p.ID)
		switch {
		case errors.Is(err, ErrWrongPrinter):
			s.audit(Event{Interface: "sso", Method: "token", Printer: p.ID, Result: "denied", Remote: r.RemoteAddr})
			writeJSON(w, http.StatusForbidden, map[string]string{"error": err.Error()})
			return
		case err != nil:
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
			return
		}
		h(w, r, c, p)
	}
}

func (s *Service) jobError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrDenied) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such job"})
		return
	}
	s.log.Warn("sso job call", "err", err)
	writeJSON(w, http.StatusBadGateway, map[string]string{"error": "the job could not be reached now"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
