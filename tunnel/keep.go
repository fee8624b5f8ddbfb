package tunnel

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
)

const (
	defaultBackoffMin = 250 * time.Millisecond
	defaultBackoffMax = 5 * time.Second
	// stableAfter: a session that lived this long resets the backoff; a relay
	// that accepts and drops at once keeps being backed off from.
	stableAfter = 30 * time.Second
	// stillFailingEvery spaces the reminders while the relay stays unreachable.
	stillFailingEvery = 5 * time.Minute
)

// Backoff is a capped, jittered exponential backoff.
type Backoff struct{ Min, Max time.Duration } // zero values mean 250ms and 5s

func (b Backoff) limits() (lo, hi time.Duration) {
	lo, hi = b.Min, b.Max
	if lo <= 0 {
		lo = defaultBackoffMin
	}
	if hi <= 0 {
		hi = defaultBackoffMax
	}
	return lo, max(lo, hi)
}

// Delay is the wait before retry number attempt (from 0): a random duration
// in [max(Min, c/2), c] where c = min(Max, Min·2^(attempt+1)). Even the first
// retry is jittered, so agents dropped together by a relay restart do not
// come back together.
func (b Backoff) Delay(attempt int) time.Duration {
	lo, hi := b.limits()
	c := lo
	for i := 0; i <= attempt && c < hi; i++ {
		c *= 2
	}
	c = min(c, hi)
	floor := max(lo, c/2)
	if c <= floor {
		return c
	}
	return floor + rand.N(c-floor+1)
}

// Keeper keeps a session up; its zero value is usable. Keep is a Keeper
// without metrics.
type Keeper struct {
	Backoff Backoff
	Logger  *slog.Logger // nil: no logs
	Metrics *Metrics     // nil: no metrics
}

// Keep keeps a session up until ctx ends (agent side): it calls dial, then
// run(ctx, s) for the established session (run returns when the session
// should be dropped, normally after <-s.Done()), closes it, and redials with
// b. It logs state changes only. If dial fails with ErrUnauthorized it keeps
// retrying at b.Max and says so once. It returns when ctx is done.
func Keep(ctx context.Context, logger *slog.Logger, b Backoff, dial func(context.Context) (*Session, error), run func(context.Context, *Session)) {
	k := Keeper{Backoff: b, Logger: logger}
	k.Run(ctx, dial, run)
}

type keepState int

const (
	stateDown keepState = iota // not connected, no failure logged yet
	stateUnreachable
	stateRefused
)

// Run is Keep with k's settings.
func (k *Keeper) Run(ctx context.Context, dial func(context.Context) (*Session, error), run func(context.Context, *Session)) {
	log := k.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, maxDelay := k.Backoff.limits()
	var (
		attempt   int
		state     = stateDown
		downSince = time.Now()
		failures  int
		reminded  time.Time
	)
	for {
		s, err := dial(ctx)
		if err == nil && s == nil {
			err = errors.New("tunnel: dial returned no session")
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			k.Metrics.dialFailed(err)
			failures++
			next := stateUnreachable
			delay := k.Backoff.Delay(attempt)
			attempt++
			if errors.Is(err, ErrUnauthorized) {
				next, delay = stateRefused, maxDelay
			}
			now := time.Now()
			switch {
			case next != state && next == stateRefused:
				log.Error("relay refused the agent's credentials; the agent must be registered again", "err", err)
				state, reminded = next, now
			case next != state:
				log.Warn("relay unreachable", "err", err)
				state, reminded = next, now
			case next == stateUnreachable && now.Sub(reminded) >= stillFailingEvery:
				log.Warn("relay still unreachable", "down", now.Sub(downSince).Round(time.Second), "attempts", failures, "err", err)
				reminded = now
			}
			if !sleep(ctx, delay) {
				return
			}
			continue
		}

		args := []any{"remote", s.RemoteAddr().String()}
		if failures > 0 {
			args = append(args, "down", time.Since(downSince).Round(time.Second), "attempts", failures)
		}
		log.Info("tunnel connected", args...)
		k.Metrics.SessionUp()
		start := time.Now()
		run(ctx, s)
		_ = s.Close()
		k.Metrics.SessionDown()
		if ctx.Err() != nil {
			return
		}
		lived := time.Since(start)
		log.Warn("tunnel disconnected", "reason", s.Err(), "after", lived.Round(time.Second))
		state, downSince, failures = stateDown, time.Now(), 0
		if lived >= stableAfter {
			attempt = 0
		}
		delay := k.Backoff.Delay(attempt)
		attempt++
		if !sleep(ctx, delay) {
			return
		}
	}
}

// sleep waits d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
