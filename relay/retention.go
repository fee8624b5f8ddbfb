package relay

import (
	"context"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// retentionSweepInterval is how often the retention sweep runs; a document
// outlives its policy by at most this much.
const retentionSweepInterval = time.Minute

// runRetention sweeps now and then every sweepInterval until ctx is done.
func (s *Server) runRetention(ctx context.Context) {
	s.sweep(ctx, time.Now())
	t := time.NewTicker(s.sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.sweep(ctx, now)
			s.pruneUnknownCards(ctx, now)
		}
	}
}

// sweep deletes the documents (and keys) the companies' policies no
// longer allow.
func (s *Server) sweep(ctx context.Context, now time.Time) {
	s.purgeAudit(ctx, now)
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
// Their keys never reached the store, so they are unreadable anyway. It
// runs before the listener serves, while no upload can be in flight.
func (s *Server) sweepOrphans(ctx context.Context) error {
	ids, err := s.docs.IDs()
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
			s.removeDocument(id, "orphan")
		}
	}
	return nil
}
