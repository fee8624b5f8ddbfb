package relay

import (
	"errors"
	"net/http"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

type claimView struct {
	Company store.Company
	User    store.User
	CSRF    string
	Readers []readerView
	Reader  string
	Claimed string
	Error   string
}

// claimPage shows the signed-in user the readers and a button to claim
// the badge they just swiped at one of them.
func (s *Server) claimPage(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.renderClaim(w, r, sess, http.StatusOK, claimView{})
}

func (s *Server) renderClaim(w http.ResponseWriter, r *http.Request, sess consoleSession, status int, v claimView) {
	ctx := r.Context()
	var err error
	v.CSRF = sess.csrf
	if v.Company, err = s.store.Company(ctx, sess.companyID); err == nil {
		v.User, err = s.store.User(ctx, sess.companyID, sess.userID)
	}
	var readers []store.Reader
	var printers []store.Printer
	if err == nil {
		readers, err = s.store.Readers(ctx, sess.companyID)
	}
	if err == nil {
		printers, err = s.store.Printers(ctx, sess.companyID)
	}
	if err != nil {
		s.log.Error("console claim page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	names := map[string]string{}
	for _, p := range printers {
		names[p.ID] = p.Name
	}
	for _, rd := range readers {
		v.Readers = append(v.Readers, readerView{Reader: rd, Printer: names[rd.PrinterID]})
	}
	s.render(w, status, "claim.html", v)
}

// claimForm is the console form's POST /cards/claim.
func (s *Server) claimForm(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil || !sameToken(sess.csrf, r.PostForm.Get("csrf")) {
		http.Error(w, "invalid form token", http.StatusForbidden)
		return
	}
	v := claimView{Reader: r.PostForm.Get("reader_id")}
	masked, status, err := s.claimFor(r, sess, v.Reader)
	if err != nil {
		v.Error = err.Error()
	} else {
		v.Claimed = masked
	}
	s.renderClaim(w, r, sess, status, v)
}

// claimJSON is POST /portal/v1/cards/claim {"reader_id"} for the signed-in
// user: the session cookie plus the session's CSRF token in X-CSRF-Token.
func (s *Server) claimJSON(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.session(r)
	if !ok || !sameToken(sess.csrf, r.Header.Get("X-CSRF-Token")) {
		writeError(w, r, s.log, errUnauthorized)
		return
	}
	var req struct {
		ReaderID string `json:"reader_id"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	masked, _, err := s.claimFor(r, sess, req.ReaderID)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"card": masked})
}

// claimFor runs a claim for the session's own user, rate limited per user.
func (s *Server) claimFor(r *http.Request, sess consoleSession, readerID string) (string, int, error) {
	key := "claim\x00" + sess.companyID + "\x00" + sess.userID
	if !s.logins.ok(r.Context(), key) {
		return "", http.StatusTooManyRequests, errorf(http.StatusTooManyRequests, "too many attempts: wait a minute")
	}
	if readerID == "" {
		return "", http.StatusBadRequest, badRequest("choose the reader you swiped your badge at")
	}
	masked, err := s.claimCard(r.Context(), sess.companyID, sess.userID, readerID, time.Now().UTC())
	if err != nil {
		s.logins.allow(r.Context(), key)
		var he *httpError
		if errors.As(err, &he) {
			return "", he.status, err
		}
		if errors.Is(err, store.ErrNotFound) {
			return "", http.StatusNotFound, errNothingToClaim
		}
		s.log.Error("claim badge", "err", err)
		return "", http.StatusInternalServerError, errors.New("internal error")
	}
	return masked, http.StatusOK, nil
}
