package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// maxPortalReleaseBody bounds POST /relay/v1/release.
const maxPortalReleaseBody = 16 << 10

// PortalRelease is the body of POST /relay/v1/release: the relay asks the
// agent to print one held job on one of its printers because the owner
// chose so in the web portal (docs/agent-protocol.md).
type PortalRelease struct {
	JobID     string `json:"job_id"`
	PrinterID string `json:"printer_id"`
	// The job's name, format and owner, for a job only the relay holds
	// (uploaded in the portal, or spooled by another agent).
	Name   string `json:"name"`
	Format string `json:"format"`
	User   User   `json:"user"`
}

// servePortalRelease is POST /relay/v1/release. It sends the job through
// the same path a badge swipe does (release): the local spool when the
// agent has the job, else a download from the relay. It answers once the
// printer took the whole job: 200 {"state":"printed"}, 404 for a printer
// this agent does not know, 409 for a disabled printer or a job already
// being released, 502 when delivery failed (the job stays held).
func (a *Agent) servePortalRelease(w http.ResponseWriter, r *http.Request) {
	var req PortalRelease
	dec := json.NewDecoder(io.LimitReader(r.Body, maxPortalReleaseBody))
	if err := dec.Decode(&req); err != nil || req.JobID == "" || req.PrinterID == "" || req.User.ID == "" {
		portalAnswer(w, http.StatusBadRequest, "bad release request")
		return
	}
	log := a.log.With("job", req.JobID, "printer", req.PrinterID, "user", req.User.Email)
	p, err := a.portalPrinter(req.PrinterID)
	if err != nil {
		log.Warn("portal release refused", "err", err)
		portalAnswer(w, http.StatusNotFound, "unknown printer")
		return
	}
	if !p.Enabled {
		portalAnswer(w, http.StatusConflict, "printer is disabled")
		return
	}
	j := heldJob{ID: req.JobID, Name: req.Name, Format: req.Format, User: req.User}
	if local, err := a.store.Job(req.JobID); err == nil && local.User.ID == req.User.ID {
		j = heldJob{ID: local.ID, Name: local.Name, Format: local.Format, User: local.User, local: &local}
	} else if err != nil && !errors.Is(err, ErrJobNotFound) {
		log.Error("portal release", "err", err)
		portalAnswer(w, http.StatusInternalServerError, "agent store")
		return
	}
	if !a.claim(j.ID) {
		portalAnswer(w, http.StatusConflict, "job is being released")
		return
	}
	a.unclaim(j.ID) // release claims it again; a racing swipe is told apart there
	// A relay that gives up waiting must not cut a job half printed.
	if err := a.release(context.WithoutCancel(r.Context()), j, p); err != nil {
		log.Error("portal release failed, job still held", "err", err)
		portalAnswer(w, http.StatusBadGateway, "printer: "+err.Error())
		return
	}
	log.Info("released from the portal")
	portalAnswer(w, http.StatusOK, "")
}

func (a *Agent) portalPrinter(id string) (Printer, error) {
	sc, err := a.store.SiteConfig()
	if err != nil {
		return Printer{}, err
	}
	for _, p := range sc.Printers {
		if p.ID == id {
			return p, nil
		}
	}
	return Printer{}, errors.New("no such printer")
}

func portalAnswer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = w.Write([]byte(`{"state":"printed"}` + "\n"))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
