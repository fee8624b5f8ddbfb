package ipp

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Job states of RFC 8011 5.3.7.
const (
	JobPending    = 3
	JobHeld       = 4
	JobProcessing = 5
	JobStopped    = 6
	JobCanceled   = 7
	JobAborted    = 8
	JobCompleted  = 9
)

// Errors a JobStore returns.
var (
	// ErrJobNotFound: no job has that number (or it was forgotten).
	ErrJobNotFound = errors.New("ipp: job not found")
	// ErrNotPossible: the job is in a state where the operation makes no
	// sense (cancelling a completed job...).
	ErrNotPossible = errors.New("ipp: not possible in the job's state")
)

// JobStatus is what the queue can say about one job.
type JobStatus struct {
	Job
	Owner     User
	Name      string
	Format    string
	Size      int64 // document bytes
	State     int   // JobPending ... JobCompleted
	UserHeld  bool  // Hold-Job was sent: a badge does not release it until Release-Job
	Created   time.Time
	Completed time.Time // zero while not terminal
}

// Terminal reports whether the job is canceled, aborted or completed.
func (j JobStatus) Terminal() bool { return j.State >= JobCanceled }

// JobStore is where the queue reads and changes the state of jobs once
// Spool made them durable. The agent implements it over its database
// (agent/ippjobs.go); MemoryJobs is the in-memory one for tests and for a
// queue without an agent. Owners are checked by the Server, not the store.
type JobStore interface {
	// NewNumber reserves the next IPP job-id (1 to 2^31-1). It must be
	// cheap: Print-Job calls it for every job, before Spool.
	NewNumber(ctx context.Context) (int, error)
	// Added tells the store about a job Spool made durable.
	Added(ctx context.Context, j JobStatus) error
	// Job returns one job, or ErrJobNotFound.
	Job(ctx context.Context, number int) (JobStatus, error)
	// Jobs returns the jobs of one owner (User.ID), oldest first,
	// including the terminal ones the store still remembers.
	Jobs(ctx context.Context, ownerID string) ([]JobStatus, error)
	// Cancel cancels a job that is not terminal (else ErrNotPossible)
	// and deletes its document.
	Cancel(ctx context.Context, number int) error
	// SetUserHeld sets or clears the hold the owner asked for with
	// Hold-Job / Release-Job (ErrNotPossible on a terminal job).
	SetUserHeld(ctx context.Context, number int, held bool) error
}

// MemoryJobs is a JobStore that keeps the last Max jobs in memory.
type MemoryJobs struct {
	mu    sync.Mutex
	max   int
	next  int
	jobs  map[int]JobStatus
	order []int
}

// NewMemoryJobs returns an in-memory store remembering up to max jobs.
func NewMemoryJobs(max int) *MemoryJobs {
	return &MemoryJobs{max: max, jobs: map[int]JobStatus{}}
}

// NewNumber implements JobStore.
func (m *MemoryJobs) NewNumber(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next = m.next%(1<<31-1) + 1
	return m.next, nil
}

// Added implements JobStore.
func (m *MemoryJobs) Added(_ context.Context, j JobStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.jobs[j.Number]; !ok {
		m.order = append(m.order, j.Number)
	}
	m.jobs[j.Number] = j
	for len(m.order) > m.max {
		delete(m.jobs, m.order[0])
		m.order = m.order[1:]
	}
	return nil
}

// Job implements JobStore.
func (m *MemoryJobs) Job(_ context.Context, number int) (JobStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[number]
	if !ok {
		return JobStatus{}, ErrJobNotFound
	}
	return j, nil
}

// Jobs implements JobStore.
func (m *MemoryJobs) Jobs(_ context.Context, ownerID string) ([]JobStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []JobStatus
	for _, n := range m.order {
		if j := m.jobs[n]; j.Owner.ID == ownerID {
			out = append(out, j)
		}
	}
	return out, nil
}

// Cancel implements JobStore.
func (m *MemoryJobs) Cancel(_ context.Context, number int) error {
	return m.update(number, func(j *JobStatus) { j.State, j.Completed = JobCanceled, time.Now() })
}

// SetUserHeld implements JobStore.
func (m *MemoryJobs) SetUserHeld(_ context.Context, number int, held bool) error {
	return m.update(number, func(j *JobStatus) { j.UserHeld = held })
}

// Complete marks a job printed, as a release at a printer would.
func (m *MemoryJobs) Complete(number int) error {
	return m.update(number, func(j *JobStatus) { j.State, j.Completed = JobCompleted, time.Now() })
}

// Held returns the numbers of the jobs waiting for release.
func (m *MemoryJobs) Held() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for _, n := range m.order {
		if m.jobs[n].State == JobHeld {
			out = append(out, n)
		}
	}
	return slices.Clip(out)
}

func (m *MemoryJobs) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, j := range m.jobs {
		if !j.Terminal() {
			n++
		}
	}
	return n
}

func (m *MemoryJobs) update(number int, f func(*JobStatus)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[number]
	if !ok {
		return ErrJobNotFound
	}
	if j.Terminal() {
		return ErrNotPossible
	}
	f(&j)
	m.jobs[number] = j
	return nil
}
