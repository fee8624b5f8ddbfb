package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeprint/edgeprint/cardreader"
)

const (
	// swipeDebounce: the same card at the same reader within this window
	// is one swipe (readers repeat a card held against them; people
	// swipe twice when nothing seems to happen).
	swipeDebounce = 3 * time.Second
	// cardTrustTTL is how long the relay's answer about a card is trusted
	// without asking again before printing. Within it a swipe prints at
	// once from the cache and the cache is refreshed in the background; a
	// card removed at the relay therefore releases at most once more, and
	// only within this window after its last confirmation.
	cardTrustTTL = 15 * time.Minute
	// printedMemory is how long a printed job id is remembered, so a swipe
	// that listed the job before it printed does not print it again.
	printedMemory = time.Hour
)

// Swipe outcomes, as reported to the relay (docs/agent-protocol.md).
const (
	outcomeReleased  = "released"
	outcomeNoJobs    = "no_jobs"
	outcomeUnknown   = "unknown"
	outcomeNoPrinter = "no_printer"
	outcomeNoCard    = "no_card"
	outcomeDebounced = "debounced"
	outcomeFailed    = "failed"
	outcomeOffline   = "offline"
)

// swipeState is the agent's badge-release state, kept apart from Agent's
// other fields.
type swipeState struct {
	site        atomic.Pointer[siteView]
	siteChanged chan struct{}

	mu         sync.Mutex
	recent     map[string]time.Time // reader\x00card → last swipe, for debounce
	printed    map[string]time.Time // job id → when printed
	refreshing map[string]bool      // cards being re-checked at the relay

	work    sync.WaitGroup // releases and cache refreshes in flight
	reports chan swipeReport
}

func newSwipeState() swipeState {
	return swipeState{
		siteChanged: make(chan struct{}, 1),
		recent:      map[string]time.Time{},
		printed:     map[string]time.Time{},
		refreshing:  map[string]bool{},
		reports:     make(chan swipeReport, maxPendingReports),
	}
}

// onSwipe is the listeners' handler: the reader is known by its address.
func (a *Agent) onSwipe(ctx context.Context, s cardreader.Swipe) {
	a.handleSwipe(ctx, s, s.Reader.String())
}

// handleSwipe decides quickly, in the reader's goroutine, whether a swipe
// releases anything, and hands the release to a goroutine the agent owns,
// so the reader's next swipe (another user) is read at once.
func (a *Agent) handleSwipe(ctx context.Context, s cardreader.Swipe, readerAddr string) {
	a.metrics.swipes.Inc()
	rep := swipeReport{Time: time.Now().UTC(), ReaderAddress: readerAddr, Model: s.Model, CardMasked: maskCard(s.Card)}
	log := a.log.With("reader", readerAddr, "model", s.Model)
	e, ok := a.readerAt(readerAddr)
	if !ok {
		rep.Outcome = outcomeNoPrinter
		a.swipeDone(log, rep, nil, errors.New("agent: no reader configured at this address"))
		return
	}
	rep.PrinterID = e.PrinterID
	reply := func(f cardreader.Feedback) {
		if e.Feedback && s.Reply != nil {
			s.Reply(f)
		}
	}
	if e.chainErr != nil {
		rep.Outcome = outcomeNoCard
		a.swipeDone(log, rep, reply, e.chainErr)
		return
	}
	card, err := e.chain.Apply(s.Card)
	if err != nil {
		rep.Outcome = outcomeNoCard
		a.swipeDone(log, rep, reply, err)
		return
	}
	rep.CardMasked = maskCard(card)
	if a.debounced(readerAddr, card) {
		rep.Outcome = outcomeDebounced
		a.swipeDone(log, rep, nil, nil)
		return
	}
	if e.printerErr != nil {
		rep.Outcome = outcomeNoPrinter
		a.swipeDone(log, rep, reply, e.printerErr)
		return
	}
	a.swipe.work.Add(1)
	go func() {
		defer a.swipe.work.Done()
		a.releaseSwipe(ctx, log.With("printer", e.printer.Name), e, card, rep, reply)
	}()
}

// releaseSwipe names the card's owner and sends their jobs: the local
// spool's first, without waiting for the relay, then those only the relay
// holds.
func (a *Agent) releaseSwipe(ctx context.Context, log *slog.Logger, e *readerEntry, card string, rep swipeReport, reply func(cardreader.Feedback)) {
	user, err := a.cardOwnerFast(ctx, card)
	switch {
	case errors.Is(err, errUnknownCard):
		rep.Outcome, rep.Card = outcomeUnknown, card
		a.swipeDone(log, rep, reply, err)
		return
	case err != nil:
		rep.Outcome = outcomeOffline
		a.swipeDone(log, rep, reply, err)
		return
	}
	rep.UserID = user.ID
	log = log.With("user", user.Email)
	limit := -1
	if e.Release == "oldest" {
		limit = 1
	}
	printed, failed := 0, 0
	acked := false
	tried := map[string]bool{}
	send := func(jobs []heldJob) {
		for _, j := range jobs {
			if limit >= 0 && printed >= limit {
				return
			}
			if tried[j.ID] {
				continue
			}
			tried[j.ID] = true
			if a.busyOrPrinted(j.ID) {
				continue // another swipe has it: the same user at two printers
			}
			if !acked {
				reply(cardreader.FeedbackOK)
				acked = true
			}
			if err := a.release(ctx, j, e.printer); err != nil {
				failed++
				log.Error("job not printed, still held", "job", j.ID, "err", err)
				continue
			}
			a.markPrinted(j.ID)
			printed++
		}
	}
	// The local spool first, from the per-user index, without waiting for
	// the relay.
	a.settleSpool(user.ID)
	local, err := a.store.JobsOfUser(user.ID)
	if err != nil {
		log.Error("list local jobs", "err", err)
	}
	send(localJobs(local, user))
	if limit < 0 || printed < limit {
		// Then heldJobsOf: the spool again (what just printed is gone)
		// and the jobs only the relay holds.
		jobs, err := a.heldJobsOf(ctx, user)
		if err != nil {
			log.Warn("could not list held jobs at the relay; released local ones", "err", err)
		}
		send(jobs)
	}
	rep.Jobs = printed
	switch {
	case printed > 0:
		rep.Outcome = outcomeReleased
	case failed > 0:
		rep.Outcome = outcomeFailed
	default:
		rep.Outcome = outcomeNoJobs
	}
	if !acked || printed == 0 {
		reply(cardreader.FeedbackError)
	}
	a.swipeDone(log, rep, nil, nil)
}

func localJobs(local []JobRecord, u User) []heldJob {
	out := make([]heldJob, 0, len(local))
	for i := range local {
		j := &local[i]
		if j.UserHeld { // IPP Hold-Job: not until Release-Job
			continue
		}
		out = append(out, heldJob{ID: j.ID, Name: j.Name, Format: j.Format, Size: j.Size, User: u, local: j})
	}
	return out
}

var errUnknownCard = errors.New("agent: unknown card")

// cardOwnerFast trusts a cache entry the relay confirmed within
// cardTrustTTL and re-checks it in the background; otherwise it asks the
// relay, and falls back to the cache (of any age) while the relay is away.
func (a *Agent) cardOwnerFast(ctx context.Context, card string) (User, error) {
	u, at, ok, err := a.store.CachedCardAt(card)
	if err != nil {
		a.log.Error("card cache", "err", err)
	}
	if ok && time.Since(at) < cardTrustTTL {
		a.refreshCard(ctx, card)
		return u, nil
	}
	ru, rerr := a.relay.lookupCard(ctx, card)
	switch {
	case rerr == nil:
		if err := a.store.CacheCardAt(card, ru, time.Now()); err != nil {
			a.log.Warn("card cache", "err", err)
		}
		return ru, nil
	case errors.Is(rerr, errNotFound):
		if ok {
			a.store.ForgetCard(card)
		}
		return User{}, errUnknownCard
	case ok:
		return u, nil
	}
	return User{}, fmt.Errorf("agent: relay unreachable and card not cached: %w", rerr)
}

// refreshCard re-checks a cached card at the relay, one check per card at
// a time, in a goroutine the agent owns.
func (a *Agent) refreshCard(ctx context.Context, card string) {
	a.swipe.mu.Lock()
	if a.swipe.refreshing[card] {
		a.swipe.mu.Unlock()
		return
	}
	a.swipe.refreshing[card] = true
	a.swipe.mu.Unlock()
	a.swipe.work.Add(1)
	go func() {
		defer a.swipe.work.Done()
		defer func() {
			a.swipe.mu.Lock()
			delete(a.swipe.refreshing, card)
			a.swipe.mu.Unlock()
		}()
		u, err := a.relay.lookupCard(ctx, card)
		switch {
		case err == nil:
			err = a.store.CacheCardAt(card, u, time.Now())
		case errors.Is(err, errNotFound):
			a.log.Info("card removed at the relay, forgotten", "card", maskCard(card))
			err = a.store.ForgetCard(card)
		default:
			return // relay away: the entry keeps its age and expires
		}
		if err != nil {
			a.log.Warn("card cache", "err", err)
		}
	}()
}

// debounced reports whether card was swiped at reader within
// swipeDebounce, and records this swipe.
func (a *Agent) debounced(reader, card string) bool {
	now := time.Now()
	k := reader + "\x00" + card
	a.swipe.mu.Lock()
	defer a.swipe.mu.Unlock()
	for key, t := range a.swipe.recent {
		if now.Sub(t) >= swipeDebounce {
			delete(a.swipe.recent, key)
		}
	}
	last, ok := a.swipe.recent[k]
	a.swipe.recent[k] = now
	return ok && now.Sub(last) < swipeDebounce
}

// markPrinted remembers a printed job so a later claim of it fails (the
// relay lists it as held until the agent's state report reaches it).
func (a *Agent) markPrinted(id string) {
	now := time.Now()
	a.swipe.mu.Lock()
	defer a.swipe.mu.Unlock()
	for k, t := range a.swipe.printed {
		if now.Sub(t) > printedMemory {
			delete(a.swipe.printed, k)
		}
	}
	a.swipe.printed[id] = now
}

// busyOrPrinted reports whether a job is being released or was printed:
// a release would skip it. (Between this check and release's own claim
// another swipe may take the job; it is then counted here as printed,
// which it is, by the other swipe.)
func (a *Agent) busyOrPrinted(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.releasing[id] || a.wasPrinted(id)
}

func (a *Agent) wasPrinted(id string) bool {
	a.swipe.mu.Lock()
	defer a.swipe.mu.Unlock()
	_, ok := a.swipe.printed[id]
	return ok
}

// swipeDone logs the swipe once and queues its report for the relay.
func (a *Agent) swipeDone(log *slog.Logger, rep swipeReport, reply func(cardreader.Feedback), err error) {
	if reply != nil && err != nil {
		reply(cardreader.FeedbackError)
	}
	args := []any{"card", rep.CardMasked, "outcome", rep.Outcome, "jobs", rep.Jobs}
	if err != nil {
		args = append(args, "err", err)
	}
	switch rep.Outcome {
	case outcomeReleased, outcomeDebounced, outcomeNoJobs:
		log.Info("swipe", args...)
	default:
		log.Warn("swipe", args...)
	}
	a.metrics.swipeOutcomes.WithLabelValues(rep.Outcome).Inc()
	select {
	case a.swipe.reports <- rep:
	default:
		a.metrics.swipeReportsDropped.Inc()
	}
}
