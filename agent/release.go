package agent

import (
	"context"
	"time"
)

// sendTimeout bounds one job's delivery; big jobs on slow printers need long.
const sendTimeout = 30 * time.Minute

// heldJob is a job to release, from the local spool or from the relay.
type heldJob struct {
	ID, Name, Format string
	Size             int64
	User             User
	local            *JobRecord
}

// heldJobsOf lists the user's held jobs: the local spool first, then those
// only the relay has.
func (a *Agent) heldJobsOf(ctx context.Context, u User) ([]heldJob, error) {
	a.settleSpool(u.ID)
	local, err := a.store.Jobs(func(j JobRecord) bool { return j.User.ID == u.ID })
	if err != nil {
		return nil, err
	}
	var out []heldJob
	seen, err := a.store.PrintedUnreported() // the relay does not know yet
	if err != nil {
		return nil, err
	}
	for i := range local {
		j := &local[i]
		seen[j.ID] = true
		if j.UserHeld { // IPP Hold-Job: not until Release-Job
			continue
		}
		out = append(out, heldJob{ID: j.ID, Name: j.Name, Format: j.Format, Size: j.Size, User: u, local: j})
	}
	remote, err := a.relay.releasableJobs(ctx, u.ID)
	for _, j := range remote {
		if !seen[j.ID] {
			out = append(out, heldJob{ID: j.ID, Name: j.Name, Format: j.Format, Size: j.Size, User: u})
		}
	}
	return out, err
}

// release sends one job to a printer (deliver.go) and, once the printer
// took all of it, forgets the local copy and tells the relay. A job already
// being released (a double swipe) is skipped.
func (a *Agent) release(ctx context.Context, j heldJob, p Printer) error {
	if !a.claim(j.ID) {
		a.log.Debug("job already being released", "job", j.ID)
		return nil
	}
	defer a.unclaim(j.ID)
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return a.delivery.deliver(ctx, j, p)
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
