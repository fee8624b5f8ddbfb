package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/edgeprint/edgeprint/raw9100"
)

// sendTimeout bounds one job's delivery; big jobs on slow printers need long.
const sendTimeout = 30 * time.Minute

// heldJob is a job to release, from the local spool or from the relay.
type heldJob struct {
	ID, Name, Format string
	User             User
	local            *JobRecord
}

// heldJobsOf lists the user's held jobs: the local spool first, then those
// only the relay has.
func (a *Agent) heldJobsOf(ctx context.Context, u User) ([]heldJob, error) {
	local, err := a.store.Jobs(func(j JobRecord) bool { return j.User.ID == u.ID })
	if err != nil {
		return nil, err
	}
	var out []heldJob
	seen := map[string]bool{}
	for i := range local {
		j := &local[i]
		seen[j.ID] = true
		out = append(out, heldJob{ID: j.ID, Name: j.Name, Format: j.Format, User: u, local: j})
	}
	remote, err := a.relay.heldJobs(ctx, u.ID)
	for _, j := range remote {
		if !seen[j.ID] {
			out = append(out, heldJob{ID: j.ID, Name: j.Name, Format: j.Format, User: u})
		}
	}
	return out, err
}

// release sends one job to a printer and, once the printer took all of it,
// forgets the local copy and tells the relay. A job already being released
// (a double swipe) is skipped.
func (a *Agent) release(ctx context.Context, j heldJob, p Printer) error {
	if !a.claim(j.ID) {
		a.log.Debug("job already being released", "job", j.ID)
		return nil
	}
	defer a.unclaim(j.ID)
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()

	var doc io.ReadCloser
	var err error
	if j.local != nil {
		doc, err = a.docs.Open(j.ID, j.local.Key)
	} else {
		doc, err = a.relay.document(ctx, j.ID)
	}
	if err != nil {
		return err
	}
	defer doc.Close()

	start := time.Now()
	n, err := a.send(ctx, p, raw9100.Job{Name: j.Name, User: j.User.Email, Format: j.Format}, doc)
	if err != nil {
		a.metrics.releases.WithLabelValues("failed").Inc()
		return err
	}
	a.metrics.releases.WithLabelValues("printed").Inc()
	a.log.Info("job printed", "job", j.ID, "printer", p.Name, "bytes", n, "took", time.Since(start).Round(time.Millisecond))
	if err := a.store.FinishJob(StateReport{JobID: j.ID, State: "printed", PrinterID: p.ID}); err != nil {
		return fmt.Errorf("record printed job: %w", err)
	}
	if j.local != nil {
		if err := a.docs.Remove(j.ID); err != nil {
			a.log.Warn("remove printed document", "job", j.ID, "err", err)
		}
	}
	a.kick(a.reportKick)
	return nil
}

func (a *Agent) send(ctx context.Context, p Printer, job raw9100.Job, doc io.Reader) (int64, error) {
	switch p.Protocol {
	case "raw9100", "":
		port := p.Port
		if port == 0 {
			port = raw9100.DefaultPort
		}
		return raw9100.Send(ctx, net.JoinHostPort(p.Address, strconv.Itoa(port)), job, doc, raw9100.Options{})
	default:
		return 0, fmt.Errorf("printer %q: delivery protocol %q is not supported yet", p.Name, p.Protocol)
	}
}

func (a *Agent) claim(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.releasing[id] || a.wasPrinted(id) {
		return false
	}
	a.releasing[id] = true
	return true
}

func (a *Agent) unclaim(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.releasing, id)
}

// maskCard keeps card numbers out of logs but for their last digits.
func maskCard(card string) string {
	if len(card) <= 4 {
		return "****"
	}
	return "****" + card[len(card)-4:]
}
