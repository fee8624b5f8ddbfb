package ipp

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/OpenPrinting/goipp"
)

// ownJob finds a job of the requesting user: an open one (Create-Job
// without document yet) or one in the JobStore. Someone else's job is not
// found: its existence is not theirs to know.
// targetOwnJob is the job a request names, or the IPP answer when it names
// none or one the requester does not own (not found: another user's job is
// not even confirmed to exist).
func (s *Server) targetOwnJob(rq *request) (JobStatus, *goipp.Message) {
	number, aerr := targetJob(rq.msg)
	if aerr != nil {
		return JobStatus{}, aerr.response(rq.msg)
	}
	j, ok := s.ownJob(rq, number)
	if !ok {
		return JobStatus{}, newResponse(rq.msg, goipp.StatusErrorNotFound, "no such job")
	}
	return j, nil
}

func (s *Server) ownJob(rq *request, number int) (JobStatus, bool) {
	if j, ok := s.open.get(number); ok {
		return j, j.Owner.ID == rq.user.ID
	}
	j, err := s.jobs.Job(rq.http.Context(), number)
	if err != nil {
		if !errors.Is(err, ErrJobNotFound) {
			rq.log.Warn("ipp: job store", "number", number, "err", err)
		}
		return JobStatus{}, false
	}
	return j, j.Owner.ID == rq.user.ID
}

// createJob makes a job that waits, in memory, for its document.
func (s *Server) createJob(rq *request) *goipp.Message {
	req := rq.msg
	t, aerr := jobTicket(req)
	if aerr != nil {
		return aerr.response(req)
	}
	number, err := s.jobs.NewNumber(rq.http.Context())
	if err != nil {
		rq.log.Warn("ipp: reserve job number", "err", err)
		return newResponse(req, goipp.StatusErrorInternal, "the job could not be created")
	}
	now := time.Now()
	j := &openJob{
		JobStatus: JobStatus{Job: Job{Number: number}, Owner: rq.user, Name: t.name, Format: t.format, State: JobPending, Created: now},
		ticket:    t,
		expires:   now.Add(multipleOperationTimeout),
	}
	if !s.open.add(j) {
		return newResponse(req, goipp.StatusErrorBusy, "too many jobs are waiting for their document; try again")
	}
	resp := newResponse(req, goipp.StatusOk, "")
	return withGroups(resp, goipp.Group{Tag: goipp.TagJobGroup, Attrs: s.jobStatus(rq, j.JobStatus)})
}

// sendDocument gives a created job its one document. Jobs hold one
// document (multiple-document-jobs-supported is false), so last-document
// must be true; Close-Job is accepted afterwards all the same.
func (s *Server) sendDocument(rq *request) *goipp.Message {
	req := rq.msg
	number, aerr := targetJob(req)
	if aerr != nil {
		return aerr.response(req)
	}
	a, ok := opAttr(req, "last-document")
	if !ok || len(a.Values) != 1 || a.Values[0].T != goipp.TagBoolean {
		return newResponse(req, goipp.StatusErrorBadRequest, "last-document is missing")
	}
	if last, _ := a.Values[0].V.(goipp.Boolean); !last {
		return withGroups(newResponse(req, goipp.StatusErrorMultipleJobsNotSupported, "a job holds one document: send it with last-document true"),
			goipp.Group{Tag: goipp.TagUnsupportedGroup, Attrs: goipp.Attributes{a}})
	}
	if _, aerr := documentTicket(req, ticket{}); aerr != nil {
		return aerr.response(req)
	}
	j, ok := s.open.take(number, rq.user.ID)
	if !ok {
		if own, found := s.ownJob(rq, number); found && own.State != JobPending {
			return newResponse(req, goipp.StatusErrorNotPossible, "the job already has its document or has ended")
		}
		return newResponse(req, goipp.StatusErrorNotFound, "no such job")
	}
	t, aerr := documentTicket(req, j.ticket)
	if aerr != nil {
		s.open.put(j) // the client may send again
		return aerr.response(req)
	}
	resp := s.receive(rq, t, j.JobStatus)
	if goipp.Status(resp.Code) != goipp.StatusOk {
		// The document did not make it: the job ends, visibly.
		now := time.Now()
		j.State, j.Completed, j.expires = JobAborted, now, now.Add(multipleOperationTimeout)
		s.open.put(j)
	}
	return resp
}

// closeJob ends the submission of a created job. One without a document
// is aborted: there is nothing to hold.
func (s *Server) closeJob(rq *request) *goipp.Message {
	req := rq.msg
	j, fail := s.targetOwnJob(rq)
	if fail != nil {
		return fail
	}
	if j.State == JobPending {
		s.open.end(j.Number, JobAborted)
		return newResponse(req, goipp.StatusOk, "the job had no document and was aborted")
	}
	return newResponse(req, goipp.StatusOk, "")
}

func (s *Server) cancelJob(rq *request) *goipp.Message {
	j, fail := s.targetOwnJob(rq)
	if fail != nil {
		return fail
	}
	return s.jobStateResponse(rq, s.cancel(rq.http.Context(), j), "cancel")
}

func (s *Server) cancel(ctx context.Context, j JobStatus) error {
	if j.State == JobPending {
		if !s.open.end(j.Number, JobCanceled) {
			return ErrNotPossible
		}
		return nil
	}
	return s.jobs.Cancel(ctx, j.Number)
}

// cancelMyJobs cancels every job of the user that has not ended.
func (s *Server) cancelMyJobs(rq *request) *goipp.Message {
	req := rq.msg
	if aerr := requirePrinterURI(req); aerr != nil {
		return aerr.response(req)
	}
	jobs, err := s.userJobs(rq)
	if err != nil {
		rq.log.Warn("ipp: job store", "err", err)
		return newResponse(req, goipp.StatusErrorInternal, "cannot list your jobs now")
	}
	for _, j := range jobs {
		if j.Terminal() {
			continue
		}
		if err := s.cancel(rq.http.Context(), j); err != nil && !errors.Is(err, ErrNotPossible) {
			rq.log.Warn("ipp: cancel", "number", j.Number, "err", err)
			return newResponse(req, goipp.StatusErrorInternal, "some jobs could not be canceled")
		}
	}
	return newResponse(req, goipp.StatusOk, "")
}

func (s *Server) holdJob(rq *request) *goipp.Message    { return s.setUserHeld(rq, true) }
func (s *Server) releaseJob(rq *request) *goipp.Message { return s.setUserHeld(rq, false) }

// setUserHeld is Hold-Job and Release-Job. Every job is held until its
// owner releases it at a printer; Hold-Job adds the owner's own hold, so a
// badge swipe leaves the job alone, and Release-Job takes it off again.
func (s *Server) setUserHeld(rq *request, held bool) *goipp.Message {
	req := rq.msg
	j, fail := s.targetOwnJob(rq)
	if fail != nil {
		return fail
	}
	if j.State == JobPending {
		return newResponse(req, goipp.StatusErrorNotPossible, "the job has no document yet")
	}
	return s.jobStateResponse(rq, s.jobs.SetUserHeld(rq.http.Context(), j.Number, held), "hold")
}

func (s *Server) jobStateResponse(rq *request, err error, what string) *goipp.Message {
	switch {
	case err == nil:
		return newResponse(rq.msg, goipp.StatusOk, "")
	case errors.Is(err, ErrNotPossible):
		return newResponse(rq.msg, goipp.StatusErrorNotPossible, "the job has already ended")
	case errors.Is(err, ErrJobNotFound):
		return newResponse(rq.msg, goipp.StatusErrorNotFound, "no such job")
	}
	rq.log.Warn("ipp: "+what, "err", err)
	return newResponse(rq.msg, goipp.StatusErrorInternal, "the job could not be changed now")
}

// userJobs is every job of the requesting user, open ones included.
func (s *Server) userJobs(rq *request) ([]JobStatus, error) {
	jobs, err := s.jobs.Jobs(rq.http.Context(), rq.user.ID)
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, s.open.of(rq.user.ID)...)
	slices.SortFunc(jobs, func(a, b JobStatus) int { return a.Created.Compare(b.Created) })
	return jobs, nil
}

// getJobs lists the requesting user's jobs; nobody sees anyone else's,
// so my-jobs is implied. which-jobs is not-completed (default) or
// completed; limit caps the answer; requested-attributes defaults to
// job-id and job-uri.
func (s *Server) getJobs(rq *request) *goipp.Message {
	req := rq.msg
	if aerr := requirePrinterURI(req); aerr != nil {
		return aerr.response(req)
	}
	which, aerr := opString(req, "which-jobs", maxNameBytes, goipp.TagKeyword)
	if aerr != nil {
		return aerr.response(req)
	}
	completed := false
	switch which {
	case "", "not-completed":
	case "completed":
		completed = true
	default:
		a, _ := opAttr(req, "which-jobs")
		return withGroups(newResponse(req, goipp.StatusErrorAttributesOrValues, "which-jobs "+which+" is not supported"),
			goipp.Group{Tag: goipp.TagUnsupportedGroup, Attrs: goipp.Attributes{a}})
	}
	limit := maxRecentJobs
	if a, ok := opAttr(req, "limit"); ok {
		var n goipp.Integer
		isInt := false
		if len(a.Values) == 1 && a.Values[0].T == goipp.TagInteger {
			n, isInt = a.Values[0].V.(goipp.Integer)
		}
		if !isInt || n < 1 {
			return newResponse(req, goipp.StatusErrorBadRequest, "limit must be a positive integer")
		}
		limit = min(limit, int(n))
	}
	requested, aerr := requestedAttributes(req)
	if aerr != nil {
		return aerr.response(req)
	}
	if requested == nil {
		requested = []string{"job-id", "job-uri"}
	}
	jobs, err := s.userJobs(rq)
	if err != nil {
		rq.log.Warn("ipp: job store", "err", err)
		return newResponse(req, goipp.StatusErrorInternal, "cannot list your jobs now")
	}
	resp := newResponse(req, goipp.StatusOk, "")
	var groups []goipp.Group
	for _, j := range jobs {
		if j.Terminal() != completed {
			continue
		}
		if len(groups) == limit {
			break
		}
		groups = append(groups, goipp.Group{Tag: goipp.TagJobGroup, Attrs: selectAttrs(s.jobAttrs(rq, j), requested)})
	}
	return withGroups(resp, groups...)
}

// identifyPrinter has nothing to flash: the queue stands for many
// printers. It logs the request, which the status page shows.
func (s *Server) identifyPrinter(rq *request) *goipp.Message {
	req := rq.msg
	if aerr := requirePrinterURI(req); aerr != nil {
		return aerr.response(req)
	}
	if a, ok := opAttr(req, "identify-actions"); ok {
		for _, v := range a.Values {
			if v.V.String() != "display" {
				return withGroups(newResponse(req, goipp.StatusErrorAttributesOrValues, "only display is supported"),
					goipp.Group{Tag: goipp.TagUnsupportedGroup, Attrs: goipp.Attributes{a}})
			}
		}
	}
	rq.log.Info("ipp: identify-printer")
	return newResponse(req, goipp.StatusOk, "")
}
