package agent

import (
	"context"
	"errors"
	"time"

	"github.com/edgeprint/edgeprint/docstore"
)

// syncInterval retries uploads and reports that failed, without a kick.
const syncInterval = time.Minute

// syncLoop uploads held jobs the relay does not have yet and delivers state
// reports, whenever something changed or the tunnel came up.
func (a *Agent) syncLoop(ctx context.Context) error {
	t := time.NewTicker(syncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.uploadKick:
		case <-a.reportKick:
		case <-t.C:
		}
		if a.session() == nil {
			continue
		}
		a.flushReports(ctx)
		a.uploadPending(ctx)
	}
}

func (a *Agent) flushReports(ctx context.Context) {
	reports, err := a.store.Reports()
	if err != nil {
		a.log.Error("read state reports", "err", err)
		return
	}
	for _, r := range reports {
		err := a.relay.report(ctx, r)
		if errors.Is(err, errNotFound) {
			// The relay never got the job (printed before its upload).
			a.log.Info("relay does not know printed job", "job", r.JobID)
		} else if err != nil {
			a.log.Warn("state report not delivered, will retry", "job", r.JobID, "err", err)
			return
		}
		if err := a.store.DeleteReport(r.JobID); err != nil {
			a.log.Error("drop delivered report", "job", r.JobID, "err", err)
		}
	}
}

func (a *Agent) uploadPending(ctx context.Context) {
	jobs, err := a.store.Jobs(func(j JobRecord) bool { return !j.Uploaded })
	if err != nil {
		a.log.Error("list jobs to upload", "err", err)
		return
	}
	for _, j := range jobs {
		if err := a.uploadOne(ctx, j); err != nil {
			a.log.Warn("upload failed, will retry", "job", j.ID, "err", err)
			return
		}
	}
}

// uploadOne may run while the same job prints: the state report that
// follows a print is sent by this same loop, so it always reaches the relay
// after the upload it refers to.
func (a *Agent) uploadOne(ctx context.Context, j JobRecord) error {
	doc, err := a.spool.Open(j)
	if errors.Is(err, docstore.ErrNotFound) {
		return nil // printed and removed since the list was read
	} else if err != nil {
		return err
	}
	defer doc.Close()
	if err := a.relay.upload(ctx, j, doc); err != nil {
		return err
	}
	a.metrics.uploads.Inc()
	a.log.Debug("job uploaded", "job", j.ID)
	return a.store.MarkUploaded(j.ID)
}

// kick wakes a loop without blocking; one pending wake is enough.
func (a *Agent) kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
