package ipp

import (
	"sync"
	"time"

	"github.com/OpenPrinting/goipp"
)

// maxRecentJobs is how many jobs the default in-memory JobStore remembers.
const maxRecentJobs = 1000

// Create-Job limits: a job created without its document is kept in memory
// for multipleOperationTimeout, then aborted; at most maxOpenJobs wait.
const (
	multipleOperationTimeout = 60 * time.Second
	maxOpenJobs              = 256
)

const jobStateMessageHeld = "held until you release it at a printer"

// openJob is a job Create-Job made that has no document yet. It lives in
// memory only: nothing is durable before Send-Document.
type openJob struct {
	JobStatus
	ticket  ticket
	expires time.Time
}

// openJobs are the jobs between Create-Job and Send-Document (or their
// end: canceled, closed empty, timed out), so Get-Job-Attributes and
// Cancel-Job can see them.
type openJobs struct {
	mu   sync.Mutex
	jobs map[int]*openJob
}

func (o *openJobs) add(j *openJob) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.expireLocked(time.Now())
	if len(o.jobs) >= maxOpenJobs {
		return false
	}
	if o.jobs == nil {
		o.jobs = map[int]*openJob{}
	}
	o.jobs[j.Number] = j
	return true
}

// expireLocked aborts open jobs past their timeout and forgets ended ones
// after another timeout.
func (o *openJobs) expireLocked(now time.Time) {
	for n, j := range o.jobs {
		switch {
		case !j.Terminal() && now.After(j.expires):
			j.State, j.Completed, j.expires = JobAborted, now, now.Add(multipleOperationTimeout)
		case j.Terminal() && now.After(j.expires):
			delete(o.jobs, n)
		}
	}
}

func (o *openJobs) get(number int) (JobStatus, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.expireLocked(time.Now())
	j, ok := o.jobs[number]
	if !ok {
		return JobStatus{}, false
	}
	return j.JobStatus, true
}

// put puts back a job taken with take.
func (o *openJobs) put(j *openJob) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.jobs == nil {
		o.jobs = map[int]*openJob{}
	}
	o.jobs[j.Number] = j
}

// take removes an open job to give it its document.
func (o *openJobs) take(number int, ownerID string) (*openJob, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.expireLocked(time.Now())
	j, ok := o.jobs[number]
	if !ok || j.Owner.ID != ownerID || j.Terminal() {
		return nil, false
	}
	delete(o.jobs, number)
	return j, true
}

// end gives an open job a terminal state (Cancel-Job, or Close-Job
// without a document).
func (o *openJobs) end(number int, state int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	j, ok := o.jobs[number]
	if !ok || j.Terminal() {
		return false
	}
	now := time.Now()
	j.State, j.Completed, j.expires = state, now, now.Add(multipleOperationTimeout)
	return true
}

func (o *openJobs) of(ownerID string) []JobStatus {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []JobStatus
	for _, j := range o.jobs {
		if j.Owner.ID == ownerID {
			out = append(out, j.JobStatus)
		}
	}
	return out
}

// stateReasons is job-state-reasons and job-state-message of j.
func stateReasons(j JobStatus) ([]string, string) {
	switch {
	case j.State == JobPending:
		return []string{"job-incoming"}, "waiting for the document"
	case j.State == JobHeld && j.UserHeld:
		return []string{"job-hold-until-specified"}, "held by you: send Release-Job, then release it at a printer"
	case j.State == JobHeld:
		return []string{"job-hold-until-specified"}, jobStateMessageHeld
	case j.State == JobProcessing:
		return []string{"job-printing"}, "printing"
	case j.State == JobCanceled:
		return []string{"job-canceled-by-user"}, "canceled"
	case j.State == JobAborted:
		return []string{"aborted-by-system"}, "no document arrived"
	case j.State == JobCompleted:
		return []string{"job-completed-successfully"}, "printed"
	}
	return []string{"none"}, ""
}

// jobStatus is the job group of a job-creating response.
func (s *Server) jobStatus(rq *request, j JobStatus) goipp.Attributes {
	reasons, msg := stateReasons(j)
	attrs := goipp.Attributes{
		goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(j.Number)),
		goipp.MakeAttribute("job-uri", goipp.TagURI, goipp.String(jobURI(rq.http, rq.secure, j.Number))),
		goipp.MakeAttribute("job-state", goipp.TagEnum, goipp.Integer(j.State)),
		makeAttr("job-state-reasons", goipp.TagKeyword, reasons, func(v string) goipp.Value { return goipp.String(v) }),
	}
	if msg != "" {
		attrs = append(attrs, goipp.MakeAttribute("job-state-message", goipp.TagText, goipp.String(msg)))
	}
	return attrs
}

// jobAttrs is everything Get-Job-Attributes and Get-Jobs can answer about j.
func (s *Server) jobAttrs(rq *request, j JobStatus) []groupedAttr {
	var attrs []groupedAttr
	for _, a := range s.jobStatus(rq, j) {
		attrs = append(attrs, groupedAttr{groupJobDescription, a})
	}
	owner := j.Owner.Email
	if owner == "" {
		owner = j.Owner.ID
	}
	dateOrNone := func(name string, t time.Time) goipp.Attribute {
		if t.IsZero() {
			return goipp.MakeAttribute(name, goipp.TagNoValue, goipp.Void{})
		}
		return goipp.MakeAttribute(name, goipp.TagDateTime, goipp.Time{Time: t})
	}
	timeOrNone := func(name string, t time.Time) goipp.Attribute {
		if t.IsZero() {
			return goipp.MakeAttribute(name, goipp.TagNoValue, goipp.Void{})
		}
		return goipp.MakeAttribute(name, goipp.TagInteger, goipp.Integer(s.upTime(t)))
	}
	format := j.Format
	if format == "" {
		format = formatOctets
	}
	for _, a := range []goipp.Attribute{
		goipp.MakeAttribute("job-printer-uri", goipp.TagURI, goipp.String(printerURI(rq.http, rq.secure))),
		goipp.MakeAttribute("job-name", goipp.TagName, goipp.String(j.Name)),
		goipp.MakeAttribute("job-originating-user-name", goipp.TagName, goipp.String(owner)),
		goipp.MakeAttribute("document-format-supplied", goipp.TagMimeType, goipp.String(format)),
		goipp.MakeAttribute("job-k-octets", goipp.TagInteger, goipp.Integer(min((j.Size+1023)/1024, 1<<31-1))),
		goipp.MakeAttribute("number-of-documents", goipp.TagInteger, goipp.Integer(min(j.Size, 1))),
		goipp.MakeAttribute("job-impressions-completed", goipp.TagInteger, goipp.Integer(0)),
		goipp.MakeAttribute("time-at-creation", goipp.TagInteger, goipp.Integer(s.upTime(j.Created))),
		timeOrNone("time-at-processing", time.Time{}),
		timeOrNone("time-at-completed", j.Completed),
		goipp.MakeAttribute("date-time-at-creation", goipp.TagDateTime, goipp.Time{Time: j.Created}),
		dateOrNone("date-time-at-processing", time.Time{}),
		dateOrNone("date-time-at-completed", j.Completed),
		goipp.MakeAttribute("job-printer-up-time", goipp.TagInteger, goipp.Integer(s.upTime(time.Now()))),
	} {
		attrs = append(attrs, groupedAttr{groupJobDescription, a})
	}
	attrs = append(attrs, groupedAttr{groupJobTemplate, goipp.MakeAttribute("job-hold-until", goipp.TagKeyword, goipp.String(holdUntil))})
	return attrs
}
