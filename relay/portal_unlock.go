package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// unlockEvery and unlockBurst limit a portal user's unlock attempts;
	// the agent limits them per printer as well.
	unlockEvery = 10 * time.Second
	unlockBurst = 5
	// unlockTimeout bounds asking the agents.
	unlockTimeout = 15 * time.Second
	// csrfHeader carries the session's CSRF token on JSON calls.
	csrfHeader = "X-CSRF-Token"
)

type unlockRequest struct {
	PrinterID string `json:"printer_id"`
	Printer   string `json:"printer"` // its name, when the id is not known
	Code      string `json:"code"`
	CSRF      string `json:"csrf,omitempty"`
}

// portalUnlockHandler is POST /portal/unlock: a user signed in to the
// portal typed the code a printer's blocking screen shows. The company's
// agents are asked in turn; the one serving the printer completes the
// login there (docs/agent-protocol.md, POST /relay/v1/unlock). JSON or a
// form; the session's CSRF token in X-CSRF-Token or the csrf field.
func (s *Server) portalUnlockHandler(w http.ResponseWriter, r *http.Request) {
	if err := s.portalUnlock(w, r); err != nil {
		writeError(w, r, s.log, err)
	}
}

func (s *Server) portalUnlock(w http.ResponseWriter, r *http.Request) error {
	_, sess, ok := s.session(r)
	if !ok {
		return errorf(http.StatusUnauthorized, "sign in to the portal first")
	}
	var req unlockRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := decodeJSON(w, r, &req, false); err != nil {
			return err
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			return badRequest("bad form")
		}
		req = unlockRequest{PrinterID: r.PostForm.Get("printer_id"), Printer: r.PostForm.Get("printer"),
			Code: r.PostForm.Get("code"), CSRF: r.PostForm.Get("csrf")}
	}
	token := r.Header.Get(csrfHeader)
	if token == "" {
		token = req.CSRF
	}
	if !sameToken(sess.csrf, token) {
		return errorf(http.StatusForbidden, "invalid form token")
	}
	log := s.log.With("audit", true, "interface", "portal", "method", "unlock", "company", sess.companyID, "user", sess.userID, "remote", clientIP(r))
	if !s.unlocks.allow(r.Context(), sess.userID) {
		log.Info("login attempt", "result", "rate-limited")
		return errorf(http.StatusTooManyRequests, "too many attempts; wait a minute")
	}
	p, err := s.unlockPrinter(r.Context(), sess.companyID, req)
	if err != nil {
		log.Info("login attempt", "result", "denied", "printer", req.PrinterID+req.Printer)
		return err
	}
	u, err := s.store.User(r.Context(), sess.companyID, sess.userID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"printer_id": p.ID, "code": strings.TrimSpace(req.Code), "remote": clientIP(r),
		"user": map[string]string{"id": u.ID, "email": u.Email, "name": u.Name},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), unlockTimeout)
	defer cancel()
	status := http.StatusServiceUnavailable
	agents, err := s.hub.tunnels(ctx, sess.companyID)
	if err != nil {
		return err
	}
	for _, a := range agents {
		st, err := s.askAgentUnlock(ctx, a, body)
		if err != nil {
			s.log.Warn("unlock: agent could not answer", "agent", a.AgentID, "err", err)
			continue
		}
		status = st
		if st != http.StatusNotFound {
			break // this agent serves the printer
		}
	}
	switch status {
	case http.StatusNoContent:
		log.Info("login attempt", "result", "accepted", "printer", p.ID)
		writeJSON(w, http.StatusOK, map[string]string{"printer_id": p.ID, "printer": p.Name, "result": "unlocked"})
		return nil
	case http.StatusForbidden:
		log.Info("login attempt", "result", "denied", "printer", p.ID)
		return errorf(http.StatusForbidden, "wrong code")
	case http.StatusTooManyRequests:
		log.Info("login attempt", "result", "rate-limited", "printer", p.ID)
		return errorf(http.StatusTooManyRequests, "too many attempts at this printer; wait a minute")
	case http.StatusConflict:
		log.Info("login attempt", "result", "denied", "printer", p.ID)
		return errorf(http.StatusConflict, "the printer is not waiting for a login")
	case http.StatusNotFound:
		return errorf(http.StatusServiceUnavailable, "no connected agent serves this printer")
	}
	return errorf(http.StatusServiceUnavailable, "the printer's agent is not connected")
}

// unlockPrinter finds the enabled printer the user named.
func (s *Server) unlockPrinter(ctx context.Context, companyID string, req unlockRequest) (store.Printer, error) {
	if req.PrinterID != "" {
		p, err := s.store.Printer(ctx, companyID, req.PrinterID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !p.Enabled) {
			return store.Printer{}, errorf(http.StatusNotFound, "no such printer")
		}
		return p, err
	}
	ps, err := s.store.Printers(ctx, companyID)
	if err != nil {
		return store.Printer{}, err
	}
	for _, p := range ps {
		if p.Enabled && req.Printer != "" && strings.EqualFold(p.Name, strings.TrimSpace(req.Printer)) {
			return p, nil
		}
	}
	return store.Printer{}, errorf(http.StatusNotFound, "no such printer")
}

// askAgentUnlock is POST /relay/v1/unlock to one agent; it returns the
// agent's status.
func (s *Server) askAgentUnlock(ctx context.Context, a store.Tunnel, body []byte) (int, error) {
	resp, err := s.hub.call(ctx, a.CompanyID, a.AgentID, agentRequest{Method: http.MethodPost, Path: "/relay/v1/unlock", Body: body})
	if err != nil {
		return 0, err
	}
	switch resp.Status {
	case http.StatusNoContent, http.StatusNotFound, http.StatusForbidden, http.StatusTooManyRequests, http.StatusConflict:
		return resp.Status, nil
	}
	return 0, fmt.Errorf("agent answered %d", resp.Status)
}

// applyPanelPatch sets the company's panel settings (auto_release).
func applyPanelPatch(c *store.Company, req companyPatch) {
	if req.AutoRelease != nil {
		c.AutoRelease = *req.AutoRelease
	}
}
