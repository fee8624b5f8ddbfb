package relay

import (
	"context"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// retentionSweepInterval is how often the retention sweep runs; a
	// document outlives its policy by at most this much.
	retentionSweepInterval = time.Minute
	// orphanSweepInterval is how often documents no job names are looked
	// for, on top of the sweep at start-up.
	orphanSweepInterval = time.Hour
	// orphanAge is how old a document must be before the orphan sweep
	// may take it for one: younger ones may be uploads another replica
	// (or this one) is about to name in a job record.
	orphanAge = 6 * time.Hour
)

// periodic is the housekeeping every replica offers to do; the store's
// RunStore lets one replica do each job once per interval.
func (s *Server) periodic() []periodicJob {
	return []periodicJob{
		{"retention", s.sweepInterval, s.sweep},
		{"audit-purge", s.sweepInterval, s.purgeAudit},
		{"unknown-cards", s.sweepInterval, s.pruneUnknownCards},
		{"sessions-and-limits", s.sweepInterval, s.pruneSessionsAndLimits},
		{"orphans", max(s.sweepInterval, orphanSweepInterval), func(ctx context.Context, now time.Time) {
			if err := s.sweepOrphans(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Error("orphan sweep", "err", err)
			}
		}},
	}
}

type periodicJob struct {
	name  string
	every time.Duration
	run   func(ctx context.Context, now time.Time)
}

// runRetention runs the periodic jobs now and then every sweepInterval
// until ctx is done, each only when this replica claims it.
func (s *Server) runRetention(ctx context.Context) {
	jobs := s.periodic()
	s.runPeriodic(ctx, time.Now(), jobs)
	t := time.NewTicker(s.sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case at := <-t.C:
			s.runPeriodic(ctx, at, jobs)
		}
	}
}

// runPeriodic runs the jobs this replica claims at now.
func (s *Server) runPeriodic(ctx context.Context, now time.Time, jobs []periodicJob) {
	for _, j := range jobs {
		// A claim a little short of the interval: replicas tick out of
		// phase, and a tick a hair early must not skip a whole interval.
		ok, err := s.store.ClaimRun(ctx, j.name, j.every-j.every/10, now)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claim periodic job", "job", j.name, "err", err)
			}
			continue
		}
		if ok {
			j.run(ctx, now)
		}
	}
}

// pruneSessionsAndLimits forgets idle sessions and full rate-limit buckets.
func (s *Server) pruneSessionsAndLimits(ctx context.Context, now time.Time) {
	if _, err := s.store.PruneSessions(ctx, now.Add(-sessionIdle)); err != nil && ctx.Err() == nil {
		s.log.Error("prune sessions", "err", err)
	}
	if _, err := s.store.PruneLimits(ctx, now.Add(-limiterIdle)); err != nil && ctx.Err() == nil {
		s.log.Error("prune rate limits", "err", err)
	}
}

// sweep deletes the documents (and keys) the companies' policies no
// longer allow.
func (s *Server) sweep(ctx context.Context, now time.Time) {
	companies, err := s.store.Companies(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("retention sweep", "err", err)
		}
		return
	}
	for _, c := range companies {
		jobs, err := s.store.Jobs(ctx, c.ID, store.JobFilter{WithDocument: true})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("retention sweep", "company", c.ID, "err", err)
			}
			return
		}
		for _, j := range jobs {
			if !expired(c.Retention, j, now) {
				continue
			}
			if err := s.dropDocument(ctx, j); err != nil {
				s.log.Error("retention sweep", "company", c.ID, "err", err)
				continue
			}
			s.log.Info("document expired", "company", c.ID, "job", j.ID, "state", j.State, "retention", c.Retention)
		}
	}
}

// expired reports whether policy r no longer allows keeping j's document:
// printed under "immediate" (left over from a change of policy), or older
// than the policy's age, which is never more than store.MaxRetention.
func expired(r store.Retention, j store.Job, now time.Time) bool {
	if r == store.RetentionImmediate && j.State == store.JobPrinted {
		return true
	}
	return now.Sub(j.Stored) >= r.MaxAge()
}

// sweepOrphans removes documents that no job names: left by a crash
// between writing a document and storing its job, or by a failed remove.
// Their keys never reached the store, so they are unreadable anyway. Only
// documents older than orphanAge are considered: other replicas may be
// between writing a document and naming it.
func (s *Server) sweepOrphans(ctx context.Context, now time.Time) error {
	ids, err := s.store.DocumentIDs(ctx, now.Add(-orphanAge))
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	companies, err := s.store.Companies(ctx)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, c := range companies {
		jobs, err := s.store.Jobs(ctx, c.ID, store.JobFilter{WithDocument: true})
		if err != nil {
			return err
		}
		for _, j := range jobs {
			kept[j.DocID] = true
		}
	}
	for _, id := range ids {
		if !kept[id] {
			s.removeDocument(ctx, id, "orphan")
		}
	}
	return nil
}
