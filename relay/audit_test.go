package relay

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// TestAuditPurge runs the retention sweeper on a fake clock through a
// year and a day: a login is kept for a year and gone after it, while
// later events stay.
func TestAuditPurge(t *testing.T) {
	dir, db := coreStore(t)
	synctest.Test(t, func(t *testing.T) {
		s := newCoreOn(t, dir, db)
		s.sweepInterval = 6 * time.Hour
		ctx := t.Context()
		if err := s.store.CreateCompany(ctx, store.Company{ID: "c1", Code: "ACME", Name: "Acme", Retention: store.RetentionImmediate}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		s.auditLogin(ctx, "c1", store.ChannelConsole, "ann@acme.example", "u1", "192.0.2.1", nil)
		s.auditLogin(ctx, "c1", store.ChannelAgent, "bob@acme.example", "", "", errUnauthorized)

		sweepCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			s.runRetention(sweepCtx)
			close(done)
		}()
		count := func() int {
			evs, err := s.store.Events(ctx, "c1", store.EventFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		time.Sleep(200 * 24 * time.Hour)
		synctest.Wait()
		s.audit(ctx, store.AuditEvent{CompanyID: "c1", Kind: store.EventAdmin, Outcome: store.OutcomeOK, Detail: "later"})
		time.Sleep(start.Add(store.AuditRetention - time.Hour).Sub(time.Now()))
		synctest.Wait()
		if n := count(); n != 3 {
			t.Fatalf("an hour before a year: %d events, want 3", n)
		}
		time.Sleep(start.Add(store.AuditRetention + 7*time.Hour).Sub(time.Now()))
		synctest.Wait()
		evs, _ := s.store.Events(ctx, "c1", store.EventFilter{})
		if len(evs) != 1 || evs[0].Detail != "later" {
			t.Fatalf("after a year: %+v", evs)
		}
		cancel()
		<-done
	})
}

func TestLoginOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, store.OutcomeOK},
		{errUnauthorized, store.OutcomeRefused},
		{errRateLimited, store.OutcomeLimited},
		{errDirectoryUnavailable, store.OutcomeUnavailable},
		{errors.New("other"), store.OutcomeRefused},
	} {
		if got := loginOutcome(tc.err); got != tc.want {
			t.Errorf("loginOutcome(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestAuditBoundsActor keeps what was typed as a name short and printable.
func TestAuditBoundsActor(t *testing.T) {
	s := newCore(t)
	ctx := t.Context()
	if err := s.store.CreateCompany(ctx, store.Company{ID: "c1", Code: "ACME", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	s.auditLogin(ctx, "c1", store.ChannelAgent, "evil\r\nname"+strings.Repeat("x", 1000), "", "", errUnauthorized)
	evs, _ := s.store.Events(ctx, "c1", store.EventFilter{})
	if len(evs) != 1 || strings.ContainsAny(evs[0].Actor, "\r\n") || len([]rune(evs[0].Actor)) > 256 {
		t.Fatalf("actor: %q", evs[0].Actor)
	}
}

// TestSessionIdle: a session used within 20 minutes lives on; one left
// alone for longer is gone (fake clock).
func TestSessionIdle(t *testing.T) {
	dir, db := coreStore(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		st := newCoreOn(t, dir, db).sessions
		id, err := st.create(ctx, "c1", "u1", false)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(sessionIdle - time.Second)
		if _, ok := st.get(ctx, id); !ok {
			t.Fatal("session ended before 20 idle minutes")
		}
		time.Sleep(sessionIdle - time.Second) // renewed by the get above
		if _, ok := st.get(ctx, id); !ok {
			t.Fatal("a used session ended")
		}
		time.Sleep(sessionIdle + time.Second)
		if _, ok := st.get(ctx, id); ok {
			t.Fatal("session outlived 20 idle minutes")
		}
	})
}

// TestLoginLockoutAudited: after the burst of failed sign-ins the form
// answers 429, even with the right password, and the log says so.
func TestLoginLockoutAudited(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	c := newConsole(t, r)
	for i := range loginBurst {
		if st := c.login(t, "ACME", acme.adminEmail, "wrong-password"); st != 401 {
			t.Fatalf("attempt %d: %d", i, st)
		}
	}
	if st := c.login(t, "ACME", acme.adminEmail, acme.adminPassword); st != 429 {
		t.Fatalf("locked out: %d, want 429", st)
	}
	var evs []store.AuditEvent
	r.call(t, "GET", "/api/v1/audit/events?kind=login", acme.token, nil, 200, &evs)
	if len(evs) != loginBurst+1 || evs[0].Outcome != store.OutcomeLimited || evs[1].Outcome != store.OutcomeRefused {
		t.Fatalf("events: %+v", evs)
	}
}
