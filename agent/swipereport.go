package agent

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// maxPendingReports bounds the swipe reports waiting for the relay; beyond
// it they are dropped (counted), so an agent offline for days does not
// grow without bound. Printing never waits on them.
const maxPendingReports = 1024

// maxReportAttempts bounds retries of one report while the relay is
// connected but fails it.
const maxReportAttempts = 10

// swipeReport is POST /agent/v1/swipes: one swipe for the relay's audit.
type swipeReport struct {
	Time          time.Time `json:"time"`
	ReaderAddress string    `json:"reader_address"`
	Model         string    `json:"model"`
	PrinterID     string    `json:"printer_id,omitempty"`
	UserID        string    `json:"user_id,omitempty"`
	Outcome       string    `json:"outcome"`
	Jobs          int       `json:"jobs"`
	CardMasked    string    `json:"card_masked"`
	// Card is sent only for an unknown card, so its holder can claim it.
	Card string `json:"card,omitempty"`
}

func (c relayClient) reportSwipe(ctx context.Context, r swipeReport) error {
	return c.callJSON(ctx, http.MethodPost, "/agent/v1/swipes", r, nil)
}

// sendSwipeReports delivers swipe reports in order, retrying each with
// backoff while the relay is away.
func (a *Agent) sendSwipeReports(ctx context.Context) error {
	for {
		var r swipeReport
		select {
		case <-ctx.Done():
			return nil
		case r = <-a.swipe.reports:
		}
		for attempt := 0; ; attempt++ {
			err := a.relay.reportSwipe(ctx, r)
			if err == nil {
				break
			}
			if errors.Is(err, errNotFound) || (a.session() != nil && attempt >= maxReportAttempts) {
				// An older relay without the route, or one that keeps
				// refusing this report: drop it, do not block the rest.
				a.log.Warn("swipe report dropped", "err", err)
				a.metrics.swipeReportsDropped.Inc()
				break
			}
			if a.session() == nil {
				attempt = min(attempt, 4) // offline: wait, without giving up
			}
			t := time.NewTimer(a.cfgBackoff.Delay(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}
