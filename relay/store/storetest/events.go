package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

func testEvents(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	mustCompany(t, ctx, s, "c10", "INITECH") // a company id that extends c1's
	add := func(company string, i int, at time.Time, outcome string) {
		t.Helper()
		e := store.AuditEvent{ID: fmt.Sprintf("e%03d", i), CompanyID: company, Time: at, Kind: store.EventLogin,
			Channel: store.ChannelConsole, Actor: fmt.Sprintf("User%d@acme.example", i), Outcome: outcome}
		if err := s.AppendEvent(ctx, e); err != nil {
			t.Fatalf("AppendEvent: %v", err)
		}
	}
	for i := range 10 {
		outcome := store.OutcomeOK
		if i%2 == 1 {
			outcome = store.OutcomeRefused
		}
		add("c1", i, t0.Add(time.Duration(i)*time.Hour), outcome)
	}
	add("c2", 100, t0, store.OutcomeOK)
	add("c10", 101, t0, store.OutcomeOK)
	if err := s.AppendEvent(ctx, store.AuditEvent{ID: "x", CompanyID: "nope", Time: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("event of unknown company: %v", err)
	}

	all, err := s.Events(ctx, "c1", store.EventFilter{})
	if err != nil || len(all) != 10 {
		t.Fatalf("Events: %d, %v", len(all), err)
	}
	if all[0].ID != "e009" || all[9].ID != "e000" {
		t.Fatalf("not newest first: %s … %s", all[0].ID, all[9].ID)
	}
	got, _ := s.Events(ctx, "c1", store.EventFilter{Outcome: store.OutcomeRefused, Limit: 2})
	if len(got) != 2 || got[0].ID != "e009" || got[1].ID != "e007" {
		t.Fatalf("refused, limit 2: %+v", got)
	}
	got, _ = s.Events(ctx, "c1", store.EventFilter{Since: t0.Add(3 * time.Hour), Until: t0.Add(5 * time.Hour)})
	if len(got) != 2 || got[0].ID != "e004" {
		t.Fatalf("since/until: %+v", got)
	}
	got, _ = s.Events(ctx, "c1", store.EventFilter{Actor: "user3@"})
	if len(got) != 1 || got[0].ID != "e003" {
		t.Fatalf("actor: %+v", got)
	}
	for _, c := range []string{"c2", "c10"} {
		got, _ = s.Events(ctx, c, store.EventFilter{})
		if len(got) != 1 || got[0].CompanyID != c {
			t.Fatalf("events of %s: %+v", c, got)
		}
	}

	n, err := s.PurgeEvents(ctx, t0.Add(5*time.Hour))
	if err != nil || n != 7 { // e000..e004 of c1, one of c2, one of c10
		t.Fatalf("PurgeEvents: %d, %v", n, err)
	}
	got, _ = s.Events(ctx, "c1", store.EventFilter{})
	if len(got) != 5 || got[4].ID != "e005" {
		t.Fatalf("after purge: %+v", got)
	}
}

func testSites(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	if sites, err := s.Sites(ctx, "c1"); err != nil || len(sites) != 0 {
		t.Fatalf("no sites: %v, %v", sites, err)
	}
	for _, st := range []store.Site{{ID: "s2", CompanyID: "c1", Name: "Paris"}, {ID: "s1", CompanyID: "c1", Name: "London"}, {ID: "s3", CompanyID: "c2", Name: "Paris"}} {
		if err := s.CreateSite(ctx, st); err != nil {
			t.Fatalf("CreateSite %+v: %v", st, err)
		}
	}
	if err := s.CreateSite(ctx, store.Site{ID: "s4", CompanyID: "c1", Name: "paris"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	sites, err := s.Sites(ctx, "c1")
	if err != nil || len(sites) != 2 || sites[0].Name != "London" {
		t.Fatalf("Sites: %+v, %v", sites, err)
	}
	if _, err := s.Site(ctx, "c2", "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other company's site: %v", err)
	}
	p := store.Printer{ID: "p1", CompanyID: "c1", Name: "P", Address: "10.0.0.1", Port: 9100, Protocol: store.ProtocolRaw9100}
	if err := s.CreatePrinter(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.UpdatePrinter(ctx, "c1", "p1", func(p *store.Printer) error {
		p.SiteID, p.Name, p.Enabled, p.CompanyID = "s1", "Front desk", true, "c2"
		return nil
	})
	if err != nil || got.SiteID != "s1" || got.Name != "Front desk" || !got.Enabled || got.CompanyID != "c1" {
		t.Fatalf("UpdatePrinter: %+v, %v", got, err)
	}
	if _, err := s.UpdatePrinter(ctx, "c2", "p1", func(*store.Printer) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other company's printer: %v", err)
	}
}

// testJobOwners: jobs listed by owner, in creation order, and an update
// cannot hand a job to someone else.
func testJobOwners(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	for i, j := range []store.Job{
		{ID: "j3", CompanyID: "c1", UserID: "u1", Created: t0.Add(2 * time.Hour)},
		{ID: "j1", CompanyID: "c1", UserID: "u1", Created: t0},
		{ID: "j2", CompanyID: "c1", UserID: "u2", Created: t0.Add(time.Hour)},
		{ID: "j4", CompanyID: "c2", UserID: "u1", Created: t0},
		{ID: "j5", CompanyID: "c1", UserID: "u10", Created: t0},
	} {
		j.State = store.JobHeld
		if err := s.CreateJob(ctx, j); err != nil {
			t.Fatalf("CreateJob %d: %v", i, err)
		}
	}
	got, err := s.Jobs(ctx, "c1", store.JobFilter{UserID: "u1"})
	if err != nil || len(got) != 2 || got[0].ID != "j1" || got[1].ID != "j3" {
		t.Fatalf("jobs of u1: %+v, %v", got, err)
	}
	j, err := s.UpdateJob(ctx, "c1", "j1", func(j *store.Job) error { j.UserID = "u2"; j.State = store.JobPrinted; return nil })
	if err != nil || j.UserID != "u1" || j.State != store.JobPrinted {
		t.Fatalf("UpdateJob: %+v, %v", j, err)
	}
	got, _ = s.Jobs(ctx, "c1", store.JobFilter{UserID: "u2"})
	if len(got) != 1 || got[0].ID != "j2" {
		t.Fatalf("jobs of u2: %+v", got)
	}
	got, _ = s.Jobs(ctx, "c1", store.JobFilter{UserID: "u1", State: store.JobHeld})
	if len(got) != 1 || got[0].ID != "j3" {
		t.Fatalf("held jobs of u1: %+v", got)
	}
	if got, _ = s.Jobs(ctx, "c1", store.JobFilter{UserID: "nobody"}); len(got) != 0 {
		t.Fatalf("jobs of nobody: %+v", got)
	}
}
