package relay

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/password"
	"github.com/edgeprint/edgeprint/relay/store"
)

// maxFormBody bounds console form posts.
const maxFormBody = 64 << 10

//go:embed templates
var consoleFiles embed.FS

var consoleTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"bytes": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d B", n)
	},
}).ParseFS(consoleFiles, "templates/*.html"))

type loginView struct {
	CSRF    string
	Company string
	Email   string
	Error   string
}

type homeView struct {
	Company  store.Company
	User     store.User
	CSRF     string
	Printers []store.Printer
	Readers  []readerView
	Agents   []agentResponse
	Jobs     []jobResponse
	AllJobs  bool
}

type readerView struct {
	store.Reader
	Printer string
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := consoleTemplates.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render console page", "page", name, "err", err)
	}
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// session returns the request's live console session.
func (s *Server) session(r *http.Request) (string, consoleSession, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", consoleSession{}, false
	}
	sess, ok := s.sessions.get(r.Context(), c.Value)
	return c.Value, sess, ok
}

// loginPage shows the sign-in form with a fresh CSRF token, kept in a
// cookie until the form comes back (double submit: there is no session
// yet to keep it in).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.session(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, http.StatusOK, loginView{})
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, v loginView) {
	v.CSRF = newAgentSecret()
	setCookie(w, csrfCookie, v.CSRF, int(loginFormTTL/time.Second))
	s.render(w, status, "login.html", v)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	v := loginView{Company: strings.TrimSpace(r.PostForm.Get("company")), Email: strings.TrimSpace(r.PostForm.Get("email"))}
	pw := r.PostForm.Get("password")
	if c, err := r.Cookie(csrfCookie); err != nil || !sameToken(c.Value, r.PostForm.Get("csrf")) {
		v.Error = "The form expired. Please sign in again."
		s.renderLogin(w, http.StatusForbidden, v)
		return
	}
	key := clientIP(r) + "\x00" + strings.ToUpper(v.Company) + "\x00" + strings.ToLower(v.Email)
	if !s.logins.ok(r.Context(), key) {
		s.auditLoginByCode(r.Context(), v.Company, store.ChannelConsole, v.Email, "", clientIP(r), errRateLimited)
		v.Error = "Too many attempts. Wait a minute and try again."
		s.renderLogin(w, http.StatusTooManyRequests, v)
		return
	}
	u, err := s.consoleUser(r, v.Company, v.Email, pw)
	if err == nil || errors.Is(err, errUnauthorized) || errors.Is(err, errDirectoryUnavailable) {
		s.auditLoginByCode(r.Context(), v.Company, store.ChannelConsole, v.Email, u.ID, clientIP(r), err)
	}
	if errors.Is(err, errUnauthorized) {
		s.logins.allow(r.Context(), key)
		s.log.Info("console login refused", "remote", clientIP(r), "company", v.Company)
		v.Error = "Wrong company, email or password."
		s.renderLogin(w, http.StatusUnauthorized, v)
		return
	} else if errors.Is(err, errDirectoryUnavailable) {
		s.log.Warn("console login: directory unavailable", "remote", clientIP(r), "company", v.Company)
		v.Error = "Your company's directory is unavailable right now. Try again in a minute."
		s.renderLogin(w, http.StatusServiceUnavailable, v)
		return
	} else if err != nil {
		s.log.Error("console login", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	id, err := s.sessions.create(r.Context(), u.CompanyID, u.ID, u.Admin)
	if err != nil {
		s.log.Error("console login: store session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setCookie(w, sessionCookie, id, 0)
	setCookie(w, csrfCookie, "", -1)
	s.log.Info("console login", "company", u.CompanyID, "user", u.ID, "remote", clientIP(r))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) consoleUser(r *http.Request, code, email, pw string) (store.User, error) {
	company, err := s.store.CompanyByCode(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		password.Burn(pw)
		return store.User{}, errUnauthorized
	} else if err != nil {
		return store.User{}, err
	}
	return s.companyLogin(r.Context(), company, email, pw)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	id, sess, ok := s.session(r)
	if ok {
		if err := r.ParseForm(); err != nil || !sameToken(sess.csrf, r.PostForm.Get("csrf")) {
			http.Error(w, "invalid form token", http.StatusForbidden)
			return
		}
		s.sessions.delete(r.Context(), id)
		s.audit(r.Context(), store.AuditEvent{CompanyID: sess.companyID, Kind: store.EventLogout, Channel: store.ChannelConsole,
			UserID: sess.userID, Remote: clientIP(r), Outcome: store.OutcomeOK})
	}
	setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// home shows the company's printers, readers, agents and jobs: every job to
// an admin, their own to a user.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	v, err := s.homeView(r, sess)
	if err != nil {
		s.log.Error("console home", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.render(w, http.StatusOK, "home.html", v)
}

func (s *Server) homeView(r *http.Request, sess consoleSession) (homeView, error) {
	ctx := r.Context()
	v := homeView{CSRF: sess.csrf, AllJobs: sess.admin}
	var err error
	if v.Company, err = s.store.Company(ctx, sess.companyID); err != nil {
		return v, err
	}
	if v.User, err = s.store.User(ctx, sess.companyID, sess.userID); err != nil {
		return v, err
	}
	if v.Printers, err = s.store.Printers(ctx, sess.companyID); err != nil {
		return v, err
	}
	names := map[string]string{}
	for _, p := range v.Printers {
		names[p.ID] = p.Name
	}
	readers, err := s.store.Readers(ctx, sess.companyID)
	if err != nil {
		return v, err
	}
	for _, rd := range readers {
		v.Readers = append(v.Readers, readerView{Reader: rd, Printer: names[rd.PrinterID]})
	}
	agents, err := s.store.Agents(ctx, sess.companyID)
	if err != nil {
		return v, err
	}
	connected := s.hub.connected(ctx, sess.companyID)
	for _, a := range agents {
		v.Agents = append(v.Agents, agentResponse{ID: a.ID, Name: a.Name, Version: a.Version,
			Registered: a.Registered, LastSeen: a.LastSeen, Connected: connected[a.ID]})
	}
	f := store.JobFilter{}
	if !sess.admin {
		f.UserID = sess.userID
	}
	v.Jobs, err = s.jobList(ctx, sess.companyID, f)
	return v, err
}

func (s *Server) stylesheet(w http.ResponseWriter, r *http.Request) {
	css, err := consoleFiles.ReadFile("templates/console.css")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(css)
}
