package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/edgeprint/edgeprint/cardreader"
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

// onSwipe releases the held jobs of the card's owner to the printer mapped
// to the reader that read it.
func (a *Agent) onSwipe(ctx context.Context, s cardreader.Swipe) {
	log := a.log.With("reader", s.Reader, "model", s.Model, "card", maskCard(s.Card))
	a.metrics.swipes.Inc()
	printer, err := a.printerForReader(s.Reader.String())
	if err != nil {
		log.Warn("swipe ignored", "err", err)
		return
	}
	log = log.With("printer", printer.Name)
	user, err := a.cardOwner(ctx, s.Card)
	if err != nil {
		log.Warn("swipe not released", "err", err)
		return
	}
	log = log.With("user", user.Email)
	jobs, err := a.heldJobsOf(ctx, user)
	if err != nil {
		log.Warn("could not list held jobs at the relay; releasing local ones", "err", err)
	}
	log.Info("swipe", "jobs", len(jobs))
	for _, j := range jobs {
		if err := a.release(ctx, j, printer); err != nil {
			log.Error("job not printed, still held", "job", j.ID, "err", err)
		}
	}
}

func (a *Agent) printerForReader(addr string) (Printer, error) {
	sc, err := a.store.SiteConfig()
	if err != nil {
		return Printer{}, err
	}
	for _, r := range sc.Readers {
		if r.Address != addr {
			continue
		}
		for _, p := range sc.Printers {
			if p.ID == r.PrinterID {
				if !p.Enabled {
					return Printer{}, fmt.Errorf("printer %q is disabled", p.Name)
				}
				return p, nil
			}
		}
		return Printer{}, fmt.Errorf("reader %s is mapped to an unknown printer", addr)
	}
	return Printer{}, fmt.Errorf("no reader registered at %s", addr)
}

// cardOwner asks the relay, and falls back to the cache while it is away.
func (a *Agent) cardOwner(ctx context.Context, card string) (User, error) {
	u, err := a.relay.lookupCard(ctx, card)
	if err == nil {
		if cerr := a.store.CacheCard(card, u); cerr != nil {
			a.log.Warn("card cache", "err", cerr)
		}
		return u, nil
	}
	if errors.Is(err, errNotFound) {
		return User{}, errors.New("unknown card")
	}
	if u, ok, cerr := a.store.CachedCard(card); cerr == nil && ok {
		return u, nil
	}
	return User{}, fmt.Errorf("relay unreachable and card not cached: %w", err)
}

// heldJobsOf lists the user's held jobs: the local spool first, then those
// only the relay has.
func (a *Agent) heldJobsOf(ctx context.Context, u User) ([]heldJob, error) {
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
	if a.releasing[id] {
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
