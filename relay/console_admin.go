package relay

import (
	"errors"
	"net/http"

	"github.com/edgeprint/edgeprint/relay/store"
)

// consoleCtx is one console request: the session, its company and user,
// and what a form that just ran wants the page to say.
type consoleCtx struct {
	sess    consoleSession
	company store.Company
	user    store.User
	status  int    // the page's status; 0 is 200
	errMsg  string // a form's error
	notice  string // a form's success
	// pageData is what a form hands to the page it shows (an import
	// report, a new activation code).
	pageData any
}

// pageView is what every console page template gets; Data is the page's.
type pageView struct {
	Company store.Company
	User    store.User
	CSRF    string
	Nav     string
	Error   string
	Notice  string
	Data    any
}

// consoleFunc renders a page or runs a form for a signed-in user.
type consoleFunc func(w http.ResponseWriter, r *http.Request, c *consoleCtx) error

// consoleCtxFor loads the session's company and user, or answers: a
// redirect to the sign-in page without a session, 404 to a user on an
// admin page (so the page's existence is all they learn).
func (s *Server) consoleCtxFor(w http.ResponseWriter, r *http.Request, admin bool) (*consoleCtx, bool) {
	_, sess, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil, false
	}
	if admin && !sess.admin {
		http.NotFound(w, r)
		return nil, false
	}
	c := &consoleCtx{sess: sess}
	var err error
	if c.company, err = s.store.Company(r.Context(), sess.companyID); err == nil {
		c.user, err = s.store.User(r.Context(), sess.companyID, sess.userID)
	}
	if err != nil {
		s.log.Error("console session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil, false
	}
	return c, true
}

// consolePage serves a GET page.
func (s *Server) consolePage(admin bool, page consoleFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.consoleCtxFor(w, r, admin)
		if !ok {
			return
		}
		if err := page(w, r, c); err != nil {
			s.consoleError(w, r, err)
		}
	}
}

// consoleForm runs a url-encoded form (checking its CSRF token), then
// shows page with the form's notice or error.
func (s *Server) consoleForm(admin bool, form, page consoleFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.consoleCtxFor(w, r, admin)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody+maxCSVBody)
		if err := parseConsoleForm(r); err != nil || !sameToken(c.sess.csrf, r.PostForm.Get("csrf")) {
			http.Error(w, "invalid form token", http.StatusForbidden)
			return
		}
		if err := form(w, r, c); err != nil {
			msg, status := userMessage(err)
			if status == http.StatusInternalServerError {
				s.consoleError(w, r, err)
				return
			}
			c.status, c.errMsg = status, msg
		}
		if err := page(w, r, c); err != nil {
			s.consoleError(w, r, err)
		}
	}
}

// parseConsoleForm parses url-encoded and multipart forms alike.
func parseConsoleForm(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); len(ct) >= 19 && ct[:19] == "multipart/form-data" {
		return r.ParseMultipartForm(maxCSVBody)
	}
	return r.ParseForm()
}

// userMessage is what a person is told about err, and its status.
func userMessage(err error) (string, int) {
	var he *httpError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &he):
		return he.msg, he.status
	case errors.As(err, &ce):
		return ce.Error(), http.StatusConflict
	case errors.Is(err, store.ErrNotFound):
		return "Not found.", http.StatusNotFound
	}
	return "Something went wrong.", http.StatusInternalServerError
}

func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, err error) {
	msg, status := userMessage(err)
	if status == http.StatusInternalServerError {
		s.log.Error("console", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	http.Error(w, msg, status)
}

// show renders a console page in the shared layout.
func (s *Server) show(w http.ResponseWriter, c *consoleCtx, tmpl, nav string, data any) error {
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	s.render(w, status, tmpl, pageView{Company: c.company, User: c.user, CSRF: c.sess.csrf, Nav: nav,
		Error: c.errMsg, Notice: c.notice, Data: data})
	return nil
}

func (s *Server) script(w http.ResponseWriter, r *http.Request) {
	js, err := consoleFiles.ReadFile("templates/console.js")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(js)
}
