package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/cardreader"
	"github.com/edgeprint/edgeprint/docconv"
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
	seen := map[string]bool{}
	for i := range local {
		j := &local[i]
		seen[j.ID] = true
		if j.UserHeld { // IPP Hold-Job: not until Release-Job
			continue
		}
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
		doc, err = a.spool.Open(*j.local)
	} else {
		doc, err = a.relay.document(ctx, j.ID)
	}
	if err != nil {
		return err
	}
	defer doc.Close()

	// Images and rasters from phones become PDF here, at release (see
	// package docconv): the spool keeps what the client sent.
	var body io.Reader = doc
	format := j.Format
	if docconv.Converts(format) {
		pr, pw := io.Pipe()
		var wg sync.WaitGroup
		wg.Go(func() { pw.CloseWithError(docconv.ToPDF(pw, doc, j.Format)) })
		defer func() { pr.Close(); wg.Wait() }()
		body, format = pr, docconv.FormatPDF
	}
	start := time.Now()
	n, err := a.send(ctx, p, raw9100.Job{Name: j.Name, User: j.User.Email, Format: format}, body)
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
		if err := a.spool.Remove(*j.local); err != nil {
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
