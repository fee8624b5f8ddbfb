package relay

import (
	"errors"
	"net/http"

	"github.com/edgeprint/edgeprint/relay/store"
)

// consoleSetPrinterEnabled is the console's Enable/Disable button of a
// printer (admins only): POST /printers/{id}/enabled, form enabled=true|false.
func (s *Server) consoleSetPrinterEnabled(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	_, sess, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if err := r.ParseForm(); err != nil || !sameToken(sess.csrf, r.PostForm.Get("csrf")) {
		http.Error(w, "invalid form token", http.StatusForbidden)
		return
	}
	if !sess.admin {
		http.Error(w, "only an admin can enable printers", http.StatusForbidden)
		return
	}
	var enabled bool
	switch r.PostForm.Get("enabled") {
	case "true":
		enabled = true
	case "false":
	default:
		http.Error(w, "enabled must be true or false", http.StatusBadRequest)
		return
	}
	p, err := s.store.UpdatePrinter(r.Context(), sess.companyID, r.PathValue("id"), func(p *store.Printer) error {
		p.Enabled = enabled
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such printer", http.StatusNotFound)
		return
	} else if err != nil {
		s.log.Error("console: enable printer", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.log.Info("printer changed", "company", sess.companyID, "printer", p.ID, "enabled", p.Enabled, "by", "console")
	s.configChanged(sess.companyID)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
