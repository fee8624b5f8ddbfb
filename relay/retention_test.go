package relay

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

func TestExpired(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		r     store.Retention
		state store.JobState
		age   time.Duration
		want  bool
	}{
		{"immediate, printed", store.RetentionImmediate, store.JobPrinted, time.Second, true},
		{"immediate, held a day", store.RetentionImmediate, store.JobHeld, 24 * time.Hour, false},
		{"immediate, held a week", store.RetentionImmediate, store.JobHeld, store.MaxRetention, true},
		{"1d, printed an hour", store.RetentionOneDay, store.JobPrinted, time.Hour, false},
		{"1d, printed a day", store.RetentionOneDay, store.JobPrinted, 24 * time.Hour, true},
		{"1d, failed a day", store.RetentionOneDay, store.JobFailed, 25 * time.Hour, true},
		{"7d, printed 6 days", store.RetentionSevenDays, store.JobPrinted, 6 * 24 * time.Hour, false},
		{"7d, held 7 days", store.RetentionSevenDays, store.JobHeld, store.MaxRetention, true},
		{"unknown policy, 7 days", store.Retention("forever"), store.JobHeld, store.MaxRetention, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := store.Job{State: tc.state, Stored: t0}
			if got := expired(tc.r, j, t0.Add(tc.age)); got != tc.want {
				t.Fatalf("expired = %v, want %v", got, tc.want)
			}
		})
	}
}

// newCore is a Server with what the retention sweep uses, no listeners.
func newCore(t *testing.T) *Server {
	t.Helper()
	dir, db := coreStore(t)
	return newCoreOn(t, dir, db)
}

// coreStore opens a store for newCoreOn. Tests on a fake clock open it
// before their bubble: a PostgreSQL pool's goroutines must not live in it.
func coreStore(t *testing.T) (string, store.Store) {
	t.Helper()
	dir := t.TempDir()
	db, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dir, db
}

func newCoreOn(t *testing.T, dir string, db store.Store) *Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	keys, err := loadMasterKey(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{log: log, store: db, keys: keys, metrics: newMetrics(), agents: newRegistry(), sweepInterval: time.Hour}
	s.wire()
	return s
}

// TestRetentionSweep runs the sweeper on a fake clock through a week.
func TestRetentionSweep(t *testing.T) {
	dir, db := coreStore(t)
	synctest.Test(t, func(t *testing.T) {
		s := newCoreOn(t, dir, db)
		ctx := t.Context()
		type job struct {
			company store.Retention
			state   store.JobState
			goneBy  time.Duration // when the document must be gone
		}
		jobs := map[string]job{
			"imm-held":   {store.RetentionImmediate, store.JobHeld, 7 * 24 * time.Hour},
			"1d-held":    {store.RetentionOneDay, store.JobHeld, 25 * time.Hour},
			"1d-printed": {store.RetentionOneDay, store.JobPrinted, 25 * time.Hour},
			"7d-printed": {store.RetentionSevenDays, store.JobPrinted, 7 * 24 * time.Hour},
			"7d-failed":  {store.RetentionSevenDays, store.JobFailed, 7 * 24 * time.Hour},
		}
		for _, r := range []store.Retention{store.RetentionImmediate, store.RetentionOneDay, store.RetentionSevenDays} {
			c := store.Company{ID: "c" + string(r), Code: "C" + string(r), Name: "x", Retention: r}
			if err := s.store.CreateCompany(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		for id, j := range jobs {
			company := "c" + string(j.company)
			if _, _, err := s.storeJob(ctx, store.Job{ID: id, CompanyID: company, UserID: "u"}, strings.NewReader("doc "+id)); err != nil {
				t.Fatal(err)
			}
			if j.state != store.JobHeld {
				if err := s.setJobState(ctx, company, id, j.state, "", ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		start := time.Now()
		sweepCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			s.runRetention(sweepCtx)
			close(done)
		}()

		for _, at := range []time.Duration{23 * time.Hour, 25 * time.Hour, 6 * 24 * time.Hour, 7*24*time.Hour + time.Hour} {
			time.Sleep(start.Add(at).Sub(time.Now()))
			synctest.Wait()
			for id, j := range jobs {
				got, err := s.store.Job(ctx, "c"+string(j.company), id)
				if err != nil {
					t.Fatal(err)
				}
				if want := at < j.goneBy; got.HasDocument() != want {
					t.Fatalf("after %v: %s has document %v, want %v", at, id, got.HasDocument(), want)
				}
				if !got.HasDocument() {
					wantState := j.state
					if wantState != store.JobPrinted {
						wantState = store.JobDeleted
					}
					if got.State != wantState || len(got.WrappedKey) != 0 {
						t.Fatalf("after %v: %s is %s with key %x", at, id, got.State, got.WrappedKey)
					}
				}
			}
		}
		if ids, _ := s.store.DocumentIDs(ctx, farFuture); len(ids) != 0 {
			t.Fatalf("files left after a week: %v", ids)
		}
		cancel()
		<-done
	})
}

// TestPeriodicJobsRunOnce: two relays on one store (replicas on
// PostgreSQL, one embedded store shared in process otherwise) offer the
// same housekeeping at the same moments; each job runs once per interval.
func TestPeriodicJobsRunOnce(t *testing.T) {
	dir, db := coreStore(t)
	second := db
	if usingPostgres() {
		var err error
		if second, err = openStore(dir); err != nil { // another replica
			t.Fatal(err)
		}
		t.Cleanup(func() { second.Close() })
	}
	a, b := newCoreOn(t, dir, db), newCoreOn(t, dir, second)
	var runs atomic.Int32
	jobs := []periodicJob{{"test-job", time.Hour, func(context.Context, time.Time) { runs.Add(1) }}}
	start := time.Now()
	for i, at := range []time.Time{start, start.Add(time.Minute), start.Add(time.Hour), start.Add(time.Hour + time.Second)} {
		var wg sync.WaitGroup
		for _, s := range []*Server{a, b} {
			wg.Go(func() { s.runPeriodic(t.Context(), at, jobs) })
		}
		wg.Wait()
		want := []int32{1, 1, 2, 2}[i]
		if got := runs.Load(); got != want {
			t.Fatalf("after the round at +%v: %d runs, want %d", at.Sub(start), got, want)
		}
	}
}
