package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/ipp"
)

// maxEndedJobs is how many canceled jobs the queue still shows (as
// canceled) after their record is gone.
const maxEndedJobs = 1000

// ippJobs is the print queue's view of the spool (ipp.JobStore): held
// jobs come from the database; jobs canceled through IPP are remembered
// in memory for a while so clients see them end. Printed jobs leave the
// database when they print and are not found afterwards.
type ippJobs struct {
	a    *Agent
	next atomic.Uint64

	mu    sync.Mutex
	ended map[int]ipp.JobStatus
	order []int
}

func newIPPJobs(a *Agent) (*ippJobs, error) {
	seq, err := a.store.JobSequence()
	if err != nil {
		return nil, err
	}
	j := &ippJobs{a: a, ended: map[int]ipp.JobStatus{}}
	j.next.Store(seq + 1)
	return j, nil
}

// NewNumber implements ipp.JobStore: numbers come from memory, seeded
// from the database's sequence, which AddJobs moves past every number
// stored. A number reserved and never stored is simply skipped.
func (j *ippJobs) NewNumber(context.Context) (int, error) {
	return int(j.next.Add(1)%(1<<31-1)) + 1, nil
}

// Added implements ipp.JobStore: Spool already stored the job.
func (j *ippJobs) Added(context.Context, ipp.JobStatus) error { return nil }

func statusOf(r JobRecord) ipp.JobStatus {
	return ipp.JobStatus{
		Job:      ipp.Job{ID: r.ID, Number: r.Number},
		Owner:    ipp.User{ID: r.User.ID, Email: r.User.Email, Name: r.User.Name},
		Name:     r.Name,
		Format:   r.Format,
		Size:     r.Size,
		State:    ipp.JobHeld,
		UserHeld: r.UserHeld,
		Created:  r.Created,
	}
}

// Job implements ipp.JobStore.
func (j *ippJobs) Job(_ context.Context, number int) (ipp.JobStatus, error) {
	if s, ok := j.endedJob(number); ok {
		return s, nil
	}
	match := func(r JobRecord) bool { return r.Number == number }
	recs, err := j.a.store.Jobs(match)
	if err != nil {
		return ipp.JobStatus{}, err
	}
	if len(recs) == 0 {
		// Durable, and on its way to the database.
		recs = j.a.spool.pending(match)
	}
	if len(recs) == 0 {
		return ipp.JobStatus{}, ipp.ErrJobNotFound
	}
	return statusOf(recs[0]), nil
}

// Jobs implements ipp.JobStore.
func (j *ippJobs) Jobs(_ context.Context, ownerID string) ([]ipp.JobStatus, error) {
	mine := func(r JobRecord) bool { return r.User.ID == ownerID }
	pending := j.a.spool.pending(mine)
	recs, err := j.a.store.Jobs(mine)
	if err != nil {
		return nil, err
	}
	out := make([]ipp.JobStatus, 0, len(recs)+len(pending))
	seen := map[string]bool{}
	for _, r := range append(recs, pending...) {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, statusOf(r))
		}
	}
	j.mu.Lock()
	for _, n := range j.order {
		if s := j.ended[n]; s.Owner.ID == ownerID {
			out = append(out, s)
		}
	}
	j.mu.Unlock()
	return out, nil
}

// Cancel implements ipp.JobStore: the record goes, with a "deleted"
// report for the relay in the same transaction (the relay drops its copy
// of the document at once, as for a job deleted at a panel app); then the
// local document.
func (j *ippJobs) Cancel(_ context.Context, number int) error {
	if _, ok := j.endedJob(number); ok {
		return ipp.ErrNotPossible
	}
	j.a.spool.flush()
	recs, err := j.a.store.Jobs(func(r JobRecord) bool { return r.Number == number })
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return ipp.ErrJobNotFound
	}
	r := recs[0]
	if j.a.isReleasing(r.ID) {
		return ipp.ErrNotPossible
	}
	if err := j.a.store.FinishJob(StateReport{JobID: r.ID, State: "deleted", Reason: "canceled by its owner (IPP Cancel-Job)"}); err != nil {
		return fmt.Errorf("agent: cancel job: %w", err)
	}
	if err := j.a.spool.Remove(r); err != nil {
		j.a.log.Warn("remove canceled document", "job", r.ID, "err", err)
	}
	j.a.kick(j.a.reportKick)
	s := statusOf(r)
	s.State, s.Completed = ipp.JobCanceled, time.Now()
	j.mu.Lock()
	j.ended[number] = s
	j.order = append(j.order, number)
	for len(j.order) > maxEndedJobs {
		delete(j.ended, j.order[0])
		j.order = j.order[1:]
	}
	j.mu.Unlock()
	j.a.log.Info("job canceled", "job", r.ID, "user", r.User.Email)
	return nil
}

// SetUserHeld implements ipp.JobStore.
func (j *ippJobs) SetUserHeld(_ context.Context, number int, held bool) error {
	if _, ok := j.endedJob(number); ok {
		return ipp.ErrNotPossible
	}
	j.a.spool.flush()
	return j.a.store.setUserHeld(number, held)
}

func (j *ippJobs) endedJob(number int) (ipp.JobStatus, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	s, ok := j.ended[number]
	return s, ok
}

func (a *Agent) isReleasing(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.releasing[id]
}

// setUserHeld sets the Hold-Job flag of the job numbered number.
func (s *Store) setUserHeld(number int, held bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var r JobRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.Number != number {
				continue
			}
			r.UserHeld = held
			return putJSON(b, k, r)
		}
		return ipp.ErrJobNotFound
	})
}

// QueueCapabilities is what the site's queue offers, from its enabled
// printers: colour if any of them prints colour or is not known not to,
// duplex likewise; with no enabled printer, both. A job is released at a
// printer the user picks later, so the queue offers what at least one
// printer can do (a colour job on a monochrome printer comes out grey).
func QueueCapabilities(printers []Printer) ipp.Capabilities {
	color, duplex, enabled := false, false, false
	for _, p := range printers {
		if !p.Enabled {
			continue
		}
		enabled = true
		color = color || p.Color == nil || *p.Color
		duplex = duplex || p.Duplex == nil || *p.Duplex
	}
	if !enabled {
		return ipp.Capabilities{}
	}
	return ipp.Capabilities{NoColor: !color, NoDuplex: !duplex}
}

// updateQueue sets the queue's capabilities and its DNS-SD TXT record from
// a new site configuration.
func (a *Agent) updateQueue(sc SiteConfig) {
	if a.queue == nil {
		return
	}
	a.queue.SetCapabilities(QueueCapabilities(sc.Printers))
	if a.mdns != nil {
		_, port, _ := net.SplitHostPort(a.ippLn.Addr().String())
		n, _ := strconv.Atoi(port)
		if err := a.mdns.SetTXT(a.dnssdService(n).TXT); err != nil {
			a.log.Warn("dnssd: update TXT", "err", err)
		}
	}
}

// removeJobs deletes records (a failed group commit, or recovery).
func (s *Store) removeJobs(jobs []*JobRecord) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		for _, j := range jobs {
			if err := b.Delete([]byte(j.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, j := range jobs {
			s.byUser.remove(j.User.ID, j.ID)
		}
	}
	return err
}
