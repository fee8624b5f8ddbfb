package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// portalReleaseTimeout bounds one release the portal asks of an agent: the
// agent downloads the document if it lacks it and answers once the printer
// took the whole job.
const portalReleaseTimeout = 2 * time.Minute

// heldJob returns job id of companyID if ownerID (empty: any owner) owns
// it and its document is still kept. Someone else's job is not found.
func (s *Server) releasableJob(ctx context.Context, companyID, ownerID, id string) (store.Job, error) {
	j, err := s.store.Job(ctx, companyID, id)
	if err != nil {
		return j, err
	}
	if ownerID != "" && j.UserID != ownerID {
		return j, store.ErrNotFound
	}
	if j.State != store.JobHeld && j.State != store.JobFailed {
		return j, errorf(http.StatusConflict, "job is %s", j.State)
	}
	if !j.HasDocument() {
		return j, errGone
	}
	return j, nil
}

// deleteJob deletes a held (or failed) job's document and key at once and
// marks it deleted. ownerID limits it to the owner's jobs.
func (s *Server) deleteJob(ctx context.Context, companyID, ownerID, actorID, id string) error {
	var docID string
	j, err := s.store.UpdateJob(ctx, companyID, id, func(j *store.Job) error {
		if ownerID != "" && j.UserID != ownerID {
			return store.ErrNotFound
		}
		if j.State != store.JobHeld && j.State != store.JobFailed {
			return errorf(http.StatusConflict, "job is %s", j.State)
		}
		docID = j.DocID
		j.DocID, j.WrappedKey = "", nil
		j.State, j.Reason = store.JobDeleted, "deleted by user"
		return nil
	})
	if err != nil {
		return err
	}
	if docID != "" {
		s.removeDocument(ctx, docID, "deleted")
	}
	s.audit(ctx, store.AuditEvent{CompanyID: companyID, Kind: store.EventJob, UserID: actorID, Outcome: store.OutcomeOK,
		Detail: cleanText(fmt.Sprintf("job %s (%s) deleted", j.ID, j.Name), 512)})
	return nil
}

// releaseJob asks the agent that serves printerID to print job id now
// (POST /relay/v1/release through the tunnel) and records it printed.
func (s *Server) releaseJob(ctx context.Context, companyID, ownerID, actorID, id, printerID string) error {
	j, err := s.releasableJob(ctx, companyID, ownerID, id)
	if err != nil {
		return err
	}
	p, err := s.store.Printer(ctx, companyID, printerID)
	if errors.Is(err, store.ErrNotFound) {
		return badRequest("no such printer")
	} else if err != nil {
		return err
	}
	if !p.Enabled {
		return errorf(http.StatusConflict, "printer %s is disabled", p.Name)
	}
	owner, err := s.store.User(ctx, companyID, j.UserID)
	if err != nil {
		return err
	}
	tunnels, err := s.hub.tunnels(ctx, companyID)
	if err != nil {
		return err
	}
	agentID := agentFor(tunnels, p, j)
	if agentID == "" {
		return errorf(http.StatusServiceUnavailable, "no agent is online to reach %s", p.Name)
	}
	body, _ := json.Marshal(map[string]any{"job_id": j.ID, "printer_id": p.ID, "name": j.Name, "format": j.Format,
		"user": identity{ID: owner.ID, Email: owner.Email, Name: owner.Name}})
	ctx, cancel := context.WithTimeout(ctx, portalReleaseTimeout)
	defer cancel()
	resp, err := s.hub.call(ctx, companyID, agentID, agentRequest{Method: http.MethodPost, Path: "/relay/v1/release", Body: body})
	if err != nil {
		return errorf(http.StatusBadGateway, "the agent could not be asked: %v", err)
	}
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(resp.Body, &answer)
	outcome := store.OutcomeOK
	defer func() {
		s.audit(ctx, store.AuditEvent{CompanyID: companyID, Kind: store.EventJob, UserID: actorID, AgentID: agentID,
			Outcome: outcome, Detail: cleanText(fmt.Sprintf("job %s (%s) released to %s", j.ID, j.Name, p.Name), 512)})
	}()
	if resp.Status != http.StatusOK {
		outcome = "failed"
		return errorf(http.StatusBadGateway, "the printer did not take the job: %s", cleanText(answer.Error, 200))
	}
	// The agent reports it printed too; a repeated "printed" is fine.
	return s.setJobState(ctx, companyID, j.ID, store.JobPrinted, p.ID, "")
}

// agentFor picks the connected agent (of tunnels, on any replica) to
// release to p: the agent that received the job when it is online, else
// any online agent of the company. Printers discovered by an agent
// (issue 5) name it; prefer it then. "" when none is online.
func agentFor(tunnels []store.Tunnel, p store.Printer, j store.Job) string {
	online := func(id string) bool {
		return id != "" && slices.ContainsFunc(tunnels, func(t store.Tunnel) bool { return t.AgentID == id })
	}
	switch {
	case online(printerAgent(p)):
		return printerAgent(p)
	case online(j.AgentID):
		return j.AgentID
	case len(tunnels) > 0:
		return tunnels[0].AgentID
	}
	return ""
}

// deleteJobAPI answers DELETE /api/v1/jobs/{id}.
func (s *Server) deleteJobAPI(w http.ResponseWriter, r *http.Request, companyID string) error {
	if err := s.deleteJob(r.Context(), companyID, "", "", r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// releaseJobAPI answers POST /api/v1/jobs/{id}/release {"printer_id": …}.
func (s *Server) releaseJobAPI(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req struct {
		PrinterID string `json:"printer_id"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if err := s.releaseJob(r.Context(), companyID, "", "", r.PathValue("id"), req.PrinterID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": string(store.JobPrinted)})
	return nil
}
