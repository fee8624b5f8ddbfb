package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

func sessionID(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// testSessions: a session lives while it is used, expires when idle for
// longer than the idle time, and can be deleted or pruned.
func testSessions(t *testing.T, ctx context.Context, s store.Store) {
	ss := need[store.SessionStore](t, s)
	mustCompany(t, ctx, s, "c1", "ACME")
	idle := 30 * time.Minute
	want := store.Session{IDHash: sessionID(1), CompanyID: "c1", UserID: "u1", Admin: true, CSRF: "csrf-1", Created: t0, LastUsed: t0}
	for _, sess := range []store.Session{want,
		{IDHash: sessionID(2), CompanyID: "c1", UserID: "u2", CSRF: "csrf-2", Created: t0, LastUsed: t0},
		{IDHash: sessionID(3), CompanyID: "c1", UserID: "u3", CSRF: "csrf-3", Created: t0, LastUsed: t0.Add(time.Hour)},
	} {
		if err := ss.CreateSession(ctx, sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}

	// Each touch within the idle time keeps the session alive longer.
	now := t0
	for range 3 {
		now = now.Add(idle - time.Minute)
		got, err := ss.TouchSession(ctx, sessionID(1), now, idle)
		if err != nil {
			t.Fatalf("TouchSession at %v: %v", now, err)
		}
		if !bytes.Equal(got.IDHash, want.IDHash) || got.CompanyID != "c1" || got.UserID != "u1" || !got.Admin ||
			got.CSRF != "csrf-1" || !got.Created.Equal(t0) || !got.LastUsed.Equal(now) {
			t.Fatalf("TouchSession = %+v, want %+v with LastUsed %v", got, want, now)
		}
	}
	// Session 2 was never touched: it has expired and is gone for good.
	if _, err := ss.TouchSession(ctx, sessionID(2), now, idle); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("idle session: %v, want ErrNotFound", err)
	}
	if _, err := ss.TouchSession(ctx, sessionID(2), t0, idle); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session came back: %v, want ErrNotFound", err)
	}
	if _, err := ss.TouchSession(ctx, sessionID(9), t0, idle); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v, want ErrNotFound", err)
	}

	if err := ss.DeleteSession(ctx, sessionID(1)); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if _, err := ss.TouchSession(ctx, sessionID(1), now, idle); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v, want ErrNotFound", err)
	}
	if err := ss.DeleteSession(ctx, sessionID(1)); err != nil {
		t.Fatalf("DeleteSession of an unknown session: %v", err)
	}

	// Prune: sessions 4 and 5 were last used before the cut-off, 3 after.
	for _, b := range []byte{4, 5} {
		if err := ss.CreateSession(ctx, store.Session{IDHash: sessionID(b), CompanyID: "c1", UserID: "u4", Created: t0, LastUsed: t0}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := ss.PruneSessions(ctx, t0.Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PruneSessions = %d, %v; want 2", n, err)
	}
	if _, err := ss.TouchSession(ctx, sessionID(3), t0.Add(time.Hour+time.Minute), idle); err != nil {
		t.Fatalf("session after the cut-off was pruned: %v", err)
	}
	if _, err := ss.TouchSession(ctx, sessionID(4), t0.Add(time.Minute), idle); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pruned session: %v, want ErrNotFound", err)
	}
}

// testLimits: token buckets start full, refill one token per interval up
// to the burst, and only spending takes a token.
func testLimits(t *testing.T, ctx context.Context, s store.Store) {
	ls := need[store.LimitStore](t, s)
	const every, burst = time.Minute, 3
	limit := func(key string, spend bool, at time.Time) bool {
		t.Helper()
		ok, err := ls.Limit(ctx, key, every, burst, spend, at)
		if err != nil {
			t.Fatalf("Limit(%s): %v", key, err)
		}
		return ok
	}
	steps := []struct {
		name  string
		key   string
		spend bool
		at    time.Duration // after t0
		want  bool
	}{
		{"peek at a new key", "k1", false, 0, true},
		{"peeks take nothing", "k1", false, 0, true},
		{"spend 1", "k1", true, 0, true},
		{"spend 2", "k1", true, 0, true},
		{"spend 3", "k1", true, 0, true},
		{"bucket empty", "k1", true, 0, false},
		{"peek at the empty bucket", "k1", false, 0, false},
		{"other keys are full", "k2", true, 0, true},
		{"half an interval is not a token", "k1", true, every / 2, false},
		{"one interval is one token", "k1", true, every, true},
		{"which is spent", "k1", true, every, false},
		{"partial time is not lost", "k1", true, every + every/2, false},
		{"next token", "k1", true, 2 * every, true},
		{"long idle refills to burst only: 1", "k1", true, 100 * every, true},
		{"long idle refills to burst only: 2", "k1", true, 100 * every, true},
		{"long idle refills to burst only: 3", "k1", true, 100 * every, true},
		{"long idle refills to burst only: empty", "k1", true, 100 * every, false},
	}
	for _, st := range steps {
		if got := limit(st.key, st.spend, t0.Add(st.at)); got != st.want {
			t.Fatalf("%s: Limit = %v, want %v", st.name, got, st.want)
		}
	}
	// Keys are opaque: long, odd or look-alike keys are separate buckets.
	odd := []string{"k1 ", "K1", "login:ann@acme.example\x00c1", string(bytes.Repeat([]byte("ü"), 600))}
	for _, key := range odd {
		if !limit(key, true, t0) {
			t.Fatalf("key %.20q shares a bucket with another", key)
		}
	}

	// Buckets last changed before the cut-off are forgotten; k1 was
	// changed at t0+100m, k2 at t0.
	n, err := ls.PruneLimits(ctx, t0.Add(50*every))
	if err != nil || n != 1+len(odd) {
		t.Fatalf("PruneLimits = %d, %v; want %d (k2 and the odd keys)", n, err, 1+len(odd))
	}
	if limit("k1", false, t0.Add(100*every)) {
		t.Fatal("PruneLimits forgot k1, changed after the cut-off")
	}
	testLimitRace(t, ctx, ls, "race", t0)
}

// testLimitRace: concurrent spenders of one bucket get exactly burst
// tokens between them. ls may be several replicas' stores.
func testLimitRace(t *testing.T, ctx context.Context, s any, key string, now time.Time) {
	t.Helper()
	stores := asList[store.LimitStore](s)
	const burst, spenders = 5, 24
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		got    int
		errRes error
	)
	for i := range spenders {
		wg.Go(func() {
			ok, err := stores[i%len(stores)].Limit(ctx, key, time.Hour, burst, true, now)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				got++
			}
			errRes = errors.Join(errRes, err)
		})
	}
	wg.Wait()
	if errRes != nil || got != burst {
		t.Fatalf("%d concurrent spenders got %d tokens (%v); want exactly %d", spenders, got, errRes, burst)
	}
}

// testRuns: a periodic job is claimed once per interval, by one caller.
func testRuns(t *testing.T, ctx context.Context, s store.Store) {
	rs := need[store.RunStore](t, s)
	const every = time.Hour
	steps := []struct {
		name string
		job  string
		at   time.Duration
		want bool
	}{
		{"first claim", "sweep", 0, true},
		{"again at once", "sweep", 0, false},
		{"before the interval", "sweep", every - time.Second, false},
		{"other jobs are separate", "purge", time.Minute, true},
		{"once the interval has passed", "sweep", every, true},
		{"claimed by the caller before", "sweep", every + time.Minute, false},
		{"long after", "sweep", 10 * every, true},
	}
	for _, st := range steps {
		got, err := rs.ClaimRun(ctx, st.job, every, t0.Add(st.at))
		if err != nil || got != st.want {
			t.Fatalf("%s: ClaimRun = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	testClaimRace(t, ctx, rs, "race", t0)
	testClaimRace(t, ctx, rs, "race", t0.Add(2*every))
}

// testClaimRace: of many concurrent claims (on one or several replicas'
// stores) exactly one wins.
func testClaimRace(t *testing.T, ctx context.Context, s any, name string, now time.Time) {
	t.Helper()
	stores := asList[store.RunStore](s)
	const claimers = 16
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		won    int
		errRes error
	)
	for i := range claimers {
		wg.Go(func() {
			ok, err := stores[i%len(stores)].ClaimRun(ctx, name, time.Hour, now)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				won++
			}
			errRes = errors.Join(errRes, err)
		})
	}
	wg.Wait()
	if errRes != nil || won != 1 {
		t.Fatalf("%d concurrent claims at %v: %d won (%v); want exactly 1", claimers, now, won, errRes)
	}
}

// asList accepts one T or a []T.
func asList[T any](s any) []T {
	if l, ok := s.([]T); ok {
		return l
	}
	return []T{s.(T)}
}
