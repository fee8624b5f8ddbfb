package ipp

import (
	"sync"
	"time"

	"github.com/OpenPrinting/goipp"
)

// maxRecentJobs is how many accepted jobs the queue remembers for
// Get-Job-Attributes.
const maxRecentJobs = 1000

// Job states and reasons of RFC 8011 5.3.7-5.3.8.
const (
	jobStatePendingHeld = 4
	jobReasonHeld       = "job-hold-until-specified"
	jobStateMessage     = "held until you release it at a printer"
)

// jobRecord is what the queue remembers of a job it accepted.
type jobRecord struct {
	Job
	owner   User
	name    string
	format  string
	size    int64
	created time.Time
}

// recentJobs remembers the last jobs this queue accepted, so that a client
// asking right after Print-Job (iOS does) gets an answer. Until the agent
// supplies live job state, every job stays as it was accepted: held.
type recentJobs struct {
	mu    sync.Mutex
	max   int
	jobs  map[int]jobRecord
	order []int // job numbers, oldest first
}

func newRecentJobs(limit int) *recentJobs {
	return &recentJobs{max: limit, jobs: make(map[int]jobRecord)}
}

func (j *recentJobs) add(rec jobRecord) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.jobs[rec.Number]; !ok {
		j.order = append(j.order, rec.Number)
	}
	j.jobs[rec.Number] = rec
	for len(j.order) > j.max {
		delete(j.jobs, j.order[0])
		j.order = j.order[1:]
	}
}

func (j *recentJobs) get(number int) (jobRecord, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	rec, ok := j.jobs[number]
	return rec, ok
}

func (j *recentJobs) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.jobs)
}

// jobStatus is the job group of a Print-Job response.
func (s *Server) jobStatus(rq *request, rec jobRecord) goipp.Attributes {
	return goipp.Attributes{
		goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(rec.Number)),
		goipp.MakeAttribute("job-uri", goipp.TagURI, goipp.String(jobURI(rq.http, rq.secure, rec.Number))),
		goipp.MakeAttribute("job-state", goipp.TagEnum, goipp.Integer(jobStatePendingHeld)),
		goipp.MakeAttribute("job-state-reasons", goipp.TagKeyword, goipp.String(jobReasonHeld)),
		goipp.MakeAttribute("job-state-message", goipp.TagText, goipp.String(jobStateMessage)),
	}
}

// jobAttrs is everything Get-Job-Attributes can answer about rec.
func (s *Server) jobAttrs(rq *request, rec jobRecord) []groupedAttr {
	var attrs []groupedAttr
	for _, a := range s.jobStatus(rq, rec) {
		attrs = append(attrs, groupedAttr{groupJobDescription, a})
	}
	owner := rec.owner.Email
	if owner == "" {
		owner = rec.owner.ID
	}
	for _, a := range []goipp.Attribute{
		goipp.MakeAttribute("job-printer-uri", goipp.TagURI, goipp.String(printerURI(rq.http, rq.secure))),
		goipp.MakeAttribute("job-name", goipp.TagName, goipp.String(rec.name)),
		goipp.MakeAttribute("job-originating-user-name", goipp.TagName, goipp.String(owner)),
		goipp.MakeAttribute("document-format-supplied", goipp.TagMimeType, goipp.String(rec.format)),
		goipp.MakeAttribute("job-k-octets", goipp.TagInteger, goipp.Integer(min((rec.size+1023)/1024, 1<<31-1))),
		goipp.MakeAttribute("time-at-creation", goipp.TagInteger, goipp.Integer(s.upTime(rec.created))),
		goipp.MakeAttribute("date-time-at-creation", goipp.TagDateTime, goipp.Time{Time: rec.created}),
		goipp.MakeAttribute("job-printer-up-time", goipp.TagInteger, goipp.Integer(s.upTime(time.Now()))),
	} {
		attrs = append(attrs, groupedAttr{groupJobDescription, a})
	}
	attrs = append(attrs, groupedAttr{groupJobTemplate, goipp.MakeAttribute("job-hold-until", goipp.TagKeyword, goipp.String(holdUntil))})
	return attrs
}
