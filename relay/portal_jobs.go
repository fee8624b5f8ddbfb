package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
		s.removeDocument(docID, "deleted")
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
	conn := s.agentFor(companyID, p, j)
	if conn == nil {
		return errorf(http.StatusServiceUnavailable, "no agent is online to reach %s", p.Name)
	}
	body, _ := json.Marshal(map[string]any{"job_id": j.ID, "printer_id": p.ID, "name": j.Name, "format": j.Format,
		"user": identity{ID: owner.ID, Email: owner.Email, Name: owner.Name}})
	ctx, cancel := context.WithTimeout(ctx, portalReleaseTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://peer/relay/v1/release", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := conn.sess.Client().Do(req)
	if err != nil {
		return errorf(http.StatusBadGateway, "the agent could not be asked: %v", err)
	}
	defer resp.Body.Close()
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&answer)
	outcome := store.OutcomeOK
	defer func() {
		s.audit(ctx, store.AuditEvent{CompanyID: companyID, Kind: store.EventJob, UserID: actorID, AgentID: conn.agent.ID,
			Outcome: outcome, Detail: cleanText(fmt.Sprintf("job %s (%s) released to %s", j.ID, j.Name, p.Name), 512)})
	}()
	if resp.StatusCode != http.StatusOK {
		outcome = "failed"
		return errorf(http.StatusBadGateway, "the printer did not take the job: %s", cleanText(answer.Error, 200))
	}
	// The agent reports it printed too; a repeated "printed" is fine.
	return s.setJobState(ctx, companyID, j.ID, store.JobPrinted, p.ID, "")
}

// agentFor picks the connected agent to release to p: the agent that
// received the job when it is online, else any online agent of the company.
// Printers discovered by an agent (issue 5) name it; prefer it then.
func (s *Server) agentFor(companyID string, p store.Printer, j store.Job) *agentConn {
	conns := s.agents.company(companyID)
	if id := printerAgent(p); id != "" {
		for _, c := range conns {
			if c.agent.ID == id {
				return c
			}
		}
	}
	for _, c := range conns {
		if c.agent.ID == j.AgentID {
			return c
		}
	}
	if len(conns) > 0 {
		return conns[0]
	}
	return nil
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
