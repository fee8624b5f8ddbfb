package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// maxDocumentSize bounds one uploaded document.
const maxDocumentSize = 2 << 30

// storeJob streams body into the docstore under a fresh document id, wraps
// its key and creates the job record. If the company already has a job
// with j.ID the new copy is removed and the stored job is returned with
// created false: uploads are idempotent and the first copy wins.
func (s *Server) storeJob(ctx context.Context, j store.Job, body io.Reader) (_ store.Job, created bool, err error) {
	docID := newID()
	key, size, err := s.store.WriteDocument(ctx, docID, body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return j, false, errorf(http.StatusRequestEntityTooLarge, "document over %d bytes", maxDocumentSize)
		}
		return j, false, err
	}
	defer func() {
		if !created {
			s.removeDocument(ctx, docID, "duplicate")
		}
	}()
	defer clear(key)
	if size == 0 {
		return j, false, badRequest("document is empty")
	}
	wrapped, err := s.keys.wrap(key, j.CompanyID, j.ID)
	if err != nil {
		return j, false, err
	}
	j.Size, j.DocID, j.WrappedKey = size, docID, wrapped
	j.State, j.Stored = store.JobHeld, time.Now().UTC()
	if err := s.store.CreateJob(ctx, j); errors.Is(err, store.ErrConflict) {
		existing, err := s.store.Job(ctx, j.CompanyID, j.ID)
		return existing, false, err
	} else if err != nil {
		return j, false, err
	}
	s.metrics.jobsStored.Inc()
	s.metrics.documentBytes.WithLabelValues("in").Add(float64(size))
	return j, true, nil
}

// openDocument returns the plaintext of j's document. errGone means the
// retention policy (or printing) has deleted it.
func (s *Server) openDocument(ctx context.Context, j store.Job) (io.ReadCloser, error) {
	if !j.HasDocument() {
		return nil, errGone
	}
	key, err := s.keys.unwrap(j.WrappedKey, j.CompanyID, j.ID)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	rc, err := s.store.OpenDocument(ctx, j.DocID, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errGone
	}
	return rc, err
}

var errGone = errorf(http.StatusGone, "document deleted")

// setJobState records what an agent reports about a job. Printing a job of
// a company with retention "immediate" destroys its document at once.
func (s *Server) setJobState(ctx context.Context, companyID, jobID string, state store.JobState, printerID, reason string) error {
	company, err := s.store.Company(ctx, companyID)
	if err != nil {
		return err
	}
	var dropped string
	var printedNow bool
	_, err = s.store.UpdateJob(ctx, companyID, jobID, func(j *store.Job) error {
		switch {
		case j.State == state && state == store.JobPrinted:
			return nil // a repeated report
		case j.State != store.JobHeld && j.State != store.JobFailed:
			return errorf(http.StatusConflict, "job is %s", j.State)
		}
		j.State, j.PrinterID, j.Reason = state, printerID, reason
		if state == store.JobDeleted { // by its owner, at a panel app
			dropped = j.DocID
			j.DocID, j.WrappedKey = "", nil
		}
		if state == store.JobPrinted {
			printedNow = true
			j.Printed = time.Now().UTC()
			if company.Retention == store.RetentionImmediate {
				dropped = j.DocID
				j.DocID, j.WrappedKey = "", nil
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if printedNow {
		s.metrics.jobsPrinted.Inc()
	}
	if dropped != "" {
		s.removeDocument(ctx, dropped, "printed")
	}
	return nil
}

// dropDocument deletes j's document under the retention policy. The key
// goes first, in the job record: from then on the document is unreadable,
// and one left behind by a failed remove is swept as an orphan.
func (s *Server) dropDocument(ctx context.Context, j store.Job) error {
	var docID string
	_, err := s.store.UpdateJob(ctx, j.CompanyID, j.ID, func(j *store.Job) error {
		docID = j.DocID
		j.DocID, j.WrappedKey = "", nil
		if j.State == store.JobHeld || j.State == store.JobFailed {
			j.State, j.Reason = store.JobDeleted, "retention"
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop document of job %s: %w", j.ID, err)
	}
	if docID != "" {
		s.removeDocument(ctx, docID, "retention")
	}
	return nil
}

// removeDocument deletes a document whose key is gone. It runs to the end
// even when the request that asked is cancelled.
func (s *Server) removeDocument(ctx context.Context, docID, reason string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pushTimeout)
	defer cancel()
	if err := s.store.RemoveDocument(ctx, docID); err != nil {
		// The key is gone already; the document is noise until the orphan sweep.
		s.log.Warn("remove document", "doc", docID, "err", err)
		return
	}
	s.metrics.documentsDeleted.WithLabelValues(reason).Inc()
}
