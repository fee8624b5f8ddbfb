package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/edgeprint/edgeprint/ipp"
	"github.com/edgeprint/edgeprint/tunnel"
)

// The queue's view of the spool: numbers never repeat across restarts,
// a user sees their own jobs, Hold-Job keeps a job from a badge, Cancel-Job
// removes record and document and queues a "deleted" report.
func TestIPPJobs(t *testing.T) {
	dir := t.TempDir()
	sp, err := OpenSpool(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	a := &Agent{store: sp.store, docs: sp.docs, spool: sp, log: slog.New(slog.DiscardHandler),
		reportKick: make(chan struct{}, 1), releasing: map[string]bool{},
		relay: relayClient{session: func(context.Context) *tunnel.Session { return nil }}}
	jobs, err := newIPPJobs(a)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	alice, bob := ipp.User{ID: "a", Email: "alice@example.com"}, ipp.User{ID: "b"}
	spool := func(u ipp.User) int {
		n, _ := jobs.NewNumber(ctx)
		j, err := sp.Spool(ctx, ipp.JobInfo{User: u, Number: n, Name: "doc", Format: "application/pdf", Password: "1234"}, bytes.NewReader([]byte("%PDF")))
		if err != nil {
			t.Fatal(err)
		}
		return j.Number
	}
	a1, a2, b1 := spool(alice), spool(alice), spool(bob)
	if a1 == a2 || a2 == b1 {
		t.Fatalf("numbers repeat: %d %d %d", a1, a2, b1)
	}
	mine, err := jobs.Jobs(ctx, "a")
	if err != nil || len(mine) != 2 || mine[0].State != ipp.JobHeld {
		t.Fatalf("alice's jobs: %+v, %v", mine, err)
	}

	if err := jobs.SetUserHeld(ctx, a2, true); err != nil {
		t.Fatal(err)
	}
	held, err := a.heldJobsOf(ctx, User{ID: "a"})
	if len(held) != 1 || held[0].local.Number != a1 {
		t.Errorf("a badge would release %+v (%v); want only job %d", held, err, a1)
	}

	if err := jobs.Cancel(ctx, a1); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Cancel(ctx, a1); !errors.Is(err, ipp.ErrNotPossible) {
		t.Errorf("second cancel: %v, want ErrNotPossible", err)
	}
	if j, err := jobs.Job(ctx, a1); err != nil || j.State != ipp.JobCanceled {
		t.Errorf("canceled job: %+v, %v", j, err)
	}
	reports, _ := a.store.Reports()
	if len(reports) != 1 || reports[0].State != "deleted" {
		t.Errorf("reports: %+v", reports)
	}
	if n, _ := sp.Count(); n != 2 {
		t.Errorf("%d records left, want 2", n)
	}
	left, _ := sp.store.Jobs(func(JobRecord) bool { return true })
	for _, j := range left {
		r, err := sp.Open(j)
		if err != nil {
			t.Errorf("job %d: %v", j.Number, err)
			continue
		}
		r.Close()
	}

	// After a restart, new numbers are past every stored one.
	again, err := newIPPJobs(a)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := again.NewNumber(ctx); n <= b1 {
		t.Errorf("number %d after restart, stored up to %d", n, b1)
	}
}
