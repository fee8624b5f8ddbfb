// Package storetest is the behaviour every store.Store backend must have,
// as a test suite: a backend's tests call Run with a constructor for an
// empty store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// Run runs the suite; open returns a new, empty store, closed by the suite.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, s store.Store)
	}{
		{"companies", testCompanies},
		{"users", testUsers},
		{"update user", testUpdateUser},
		{"tokens", testTokens},
		{"register agent", testRegisterAgent},
		{"printers and readers", testDevices},
		{"jobs", testJobs},
		{"tenant isolation", testIsolation},
		{"ordering", testOrdering},
		{"update printer", testUpdatePrinter},
		{"swipes and unknown cards", testSwipes},
		{"audit events", testEvents},
		{"sites", testSites},
		{"jobs by owner", testJobOwners},
		{"export", testExport},
		// cluster*.go: the interfaces of store/cluster.go, one replica.
		{"sessions", testSessions},
		{"limits", testLimits},
		{"runs", testRuns},
		{"documents", testDocuments},
		{"messages", testMessages},
		{"tunnels", testTunnels},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, t.Context(), s)
		})
	}
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func mustCompany(t *testing.T, ctx context.Context, s store.Store, id, code string) store.Company {
	t.Helper()
	c := store.Company{ID: id, Code: code, Name: code + " Inc", Retention: store.RetentionImmediate, AuthType: store.AuthLocal, Created: t0}
	if err := s.CreateCompany(ctx, c); err != nil {
		t.Fatalf("CreateCompany(%s): %v", code, err)
	}
	return c
}

func testCompanies(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	if err := s.CreateCompany(ctx, store.Company{ID: "c2", Code: "acme"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate code in other case: %v, want conflict", err)
	}
	c, err := s.CompanyByCode(ctx, " Acme ")
	if err != nil || c.ID != "c1" || c.Code != "ACME" {
		t.Fatalf("CompanyByCode: %+v, %v", c, err)
	}
	if _, err := s.CompanyByCode(ctx, "NOPE"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
	c, err = s.UpdateCompany(ctx, "c1", func(c *store.Company) error {
		c.Retention = store.RetentionOneDay
		c.Code = "HIJACK"
		return nil
	})
	if err != nil || c.Retention != store.RetentionOneDay || c.Code != "ACME" {
		t.Fatalf("UpdateCompany: %+v, %v", c, err)
	}
	all, err := s.Companies(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("Companies: %v, %v", all, err)
	}
}

func testUsers(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	u := store.User{ID: "u1", CompanyID: "c1", Email: "Ann@Acme.example", Name: "Ann", Cards: []string{" 04a1b2 "}, Created: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	conflicts := []struct {
		name string
		u    store.User
	}{
		{"same email", store.User{ID: "u2", CompanyID: "c1", Email: "ann@acme.example"}},
		{"same card", store.User{ID: "u3", CompanyID: "c1", Email: "bob@acme.example", Cards: []string{"04A1B2"}}},
		{"same id", store.User{ID: "u1", CompanyID: "c1", Email: "cy@acme.example"}},
	}
	for _, tc := range conflicts {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.CreateUser(ctx, tc.u); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want conflict", err)
			}
		})
	}
	// A failed create leaves no index entries behind.
	if _, err := s.UserByEmail(ctx, "c1", "bob@acme.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("half-created user found: %v", err)
	}
	got, err := s.UserByCard(ctx, "c1", "04a1b2")
	if err != nil || got.ID != "u1" || got.Email != "ann@acme.example" {
		t.Fatalf("UserByCard: %+v, %v", got, err)
	}
	if got, err = s.UserByEmail(ctx, "c1", "ANN@acme.example"); err != nil || got.ID != "u1" {
		t.Fatalf("UserByEmail: %+v, %v", got, err)
	}
	if got, err = s.User(ctx, "c1", "u1"); err != nil || got.Name != "Ann" {
		t.Fatalf("User: %+v, %v", got, err)
	}
	if err := s.CreateUser(ctx, store.User{ID: "u9", CompanyID: "nope", Email: "x@y.example"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("user in unknown company: %v", err)
	}
	users, err := s.Users(ctx, "c1")
	if err != nil || len(users) != 1 {
		t.Fatalf("Users: %v, %v", users, err)
	}
}

func testTokens(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	h := bytes.Repeat([]byte{7}, 32)
	if err := s.CreateToken(ctx, store.Token{Hash: h, CompanyID: "c1", Name: "ci", Created: t0}); err != nil {
		t.Fatal(err)
	}
	tok, err := s.TokenByHash(ctx, h)
	if err != nil || tok.CompanyID != "c1" || tok.Name != "ci" {
		t.Fatalf("TokenByHash: %+v, %v", tok, err)
	}
	if _, err := s.TokenByHash(ctx, bytes.Repeat([]byte{8}, 32)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
}

func testRegisterAgent(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	code := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	for i, c := range []store.ActivationCode{
		{Hash: code(1), CompanyID: "c1", Expires: t0.Add(time.Hour)},
		{Hash: code(2), CompanyID: "c1", Expires: t0.Add(-time.Second)},
	} {
		if err := s.CreateActivationCode(ctx, c); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
	}
	agent := func(id, company string) store.Agent {
		return store.Agent{ID: id, CompanyID: company, Name: id, MachineHash: "mh", SecretHash: code(9), Registered: t0}
	}
	tests := []struct {
		name string
		code []byte
		a    store.Agent
		ok   bool
	}{
		{"unknown code", code(3), agent("a0", "c1"), false},
		{"expired code", code(2), agent("a0", "c1"), false},
		{"other company's code", code(1), agent("a0", "c2"), false},
		{"good", code(1), agent("a1", "c1"), true},
		{"used code", code(1), agent("a2", "c1"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.RegisterAgent(ctx, tc.code, t0, tc.a)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok && !errors.Is(err, store.ErrCodeUnusable) {
				t.Fatalf("got %v, want ErrCodeUnusable", err)
			}
		})
	}
	if _, err := s.Agent(ctx, "a0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused registration created an agent: %v", err)
	}
	if err := s.TouchAgent(ctx, "a1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	a, err := s.Agent(ctx, "a1")
	if err != nil || a.CompanyID != "c1" || !a.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Agent: %+v, %v", a, err)
	}
	if as, _ := s.Agents(ctx, "c2"); len(as) != 0 {
		t.Fatalf("other company lists %d agents", len(as))
	}
	testUpdateAgent(t, ctx, s)
}

// testUpdateAgent runs on the agents testRegisterAgent made: a1 of c1.
func testUpdateAgent(t *testing.T, ctx context.Context, s store.Store) {
	if _, err := s.UpdateAgent(ctx, "c2", "a1", func(a *store.Agent) error { a.UpdatesOff = true; return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another company updated the agent: %v", err)
	}
	a, err := s.UpdateAgent(ctx, "c1", "a1", func(a *store.Agent) error {
		a.UpdatesOff = true
		a.CompanyID, a.SecretHash = "c2", nil // ignored
		return nil
	})
	if err != nil || !a.UpdatesOff || a.CompanyID != "c1" {
		t.Fatalf("UpdateAgent: %+v, %v", a, err)
	}
	if a, _ := s.Agent(ctx, "a1"); !a.UpdatesOff || len(a.SecretHash) == 0 {
		t.Fatalf("stored agent %+v", a)
	}
}

func testDevices(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	p := store.Printer{ID: "p1", CompanyID: "c1", Name: "HQ", Address: "10.0.0.5", Port: 9100, Protocol: store.ProtocolRaw9100, Enabled: true}
	if err := s.CreatePrinter(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateReader(ctx, store.Reader{ID: "r1", CompanyID: "c2", Model: store.ReaderRFIDeas241, Address: "10.0.0.6", PrinterID: "p1"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reader on another company's printer: %v", err)
	}
	if err := s.CreateReader(ctx, store.Reader{ID: "r1", CompanyID: "c1", Model: store.ReaderRFIDeas241, Address: "10.0.0.6", PrinterID: "p1"}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Printers(ctx, "c1")
	if err != nil || len(ps) != 1 || ps[0] != p {
		t.Fatalf("Printers: %+v, %v", ps, err)
	}
	rs, err := s.Readers(ctx, "c1")
	if err != nil || len(rs) != 1 || rs[0].PrinterID != "p1" {
		t.Fatalf("Readers: %+v, %v", rs, err)
	}
}

func testJobs(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	j := store.Job{ID: "j1", CompanyID: "c1", UserID: "u1", Name: "a.pdf", Size: 10, State: store.JobHeld, Created: t0, Stored: t0, DocID: "d1", WrappedKey: []byte{1, 2}}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateJob(ctx, j); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create: %v, want conflict", err)
	}
	j2 := j
	j2.ID, j2.UserID, j2.Stored = "j2", "u2", t0.Add(time.Hour)
	if err := s.CreateJob(ctx, j2); err != nil {
		t.Fatal(err)
	}
	got, err := s.UpdateJob(ctx, "c1", "j1", func(j *store.Job) error {
		j.State, j.DocID, j.WrappedKey = store.JobPrinted, "", nil
		return nil
	})
	if err != nil || got.State != store.JobPrinted || got.HasDocument() {
		t.Fatalf("UpdateJob: %+v, %v", got, err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateJob(ctx, "c1", "j2", func(j *store.Job) error { j.Name = "x"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing update: %v", err)
	}
	if j, _ := s.Job(ctx, "c1", "j2"); j.Name != "a.pdf" {
		t.Fatalf("failed update was stored: %q", j.Name)
	}
	filters := []struct {
		name string
		f    store.JobFilter
		want int
	}{
		{"all", store.JobFilter{}, 2},
		{"held", store.JobFilter{State: store.JobHeld}, 1},
		{"user", store.JobFilter{UserID: "u1"}, 1},
		{"with document", store.JobFilter{WithDocument: true}, 1},
		{"stored before", store.JobFilter{StoredBefore: t0.Add(time.Minute)}, 1},
		{"none", store.JobFilter{UserID: "u2", State: store.JobPrinted}, 0},
	}
	for _, tc := range filters {
		t.Run(tc.name, func(t *testing.T) {
			js, err := s.Jobs(ctx, "c1", tc.f)
			if err != nil || len(js) != tc.want {
				t.Fatalf("Jobs: %d jobs, %v; want %d", len(js), err, tc.want)
			}
		})
	}
}

// testIsolation checks that ids of one company reach nothing in another.
func testIsolation(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	mustCompany(t, ctx, s, "c10", "INITECH") // "c1" is a prefix of "c10"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateUser(ctx, store.User{ID: "u1", CompanyID: "c1", Email: "ann@x.example", Cards: []string{"AA"}}))
	must(s.CreateUser(ctx, store.User{ID: "u1b", CompanyID: "c10", Email: "zed@x.example"}))
	// The same email and card in another company are other people.
	must(s.CreateUser(ctx, store.User{ID: "u2", CompanyID: "c2", Email: "ann@x.example", Cards: []string{"AA"}}))
	must(s.CreatePrinter(ctx, store.Printer{ID: "p1", CompanyID: "c1"}))
	must(s.CreateJob(ctx, store.Job{ID: "j1", CompanyID: "c1", UserID: "u1", State: store.JobHeld}))
	must(s.CreateJob(ctx, store.Job{ID: "j1", CompanyID: "c2", UserID: "u2", State: store.JobHeld}))

	if u, err := s.UserByCard(ctx, "c2", "AA"); err != nil || u.ID != "u2" {
		t.Fatalf("card in c2: %+v, %v", u, err)
	}
	if _, err := s.User(ctx, "c2", "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("c2 reads c1's user: %v", err)
	}
	if _, err := s.Printer(ctx, "c2", "p1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("c2 reads c1's printer: %v", err)
	}
	if j, err := s.Job(ctx, "c2", "j1"); err != nil || j.UserID != "u2" {
		t.Fatalf("c2's own j1: %+v, %v", j, err)
	}
	if users, _ := s.Users(ctx, "c1"); len(users) != 1 || users[0].ID != "u1" {
		t.Fatalf("c1 lists %+v", users)
	}
	if _, err := s.UpdateJob(ctx, "c2", "nope", func(*store.Job) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of missing job: %v", err)
	}
	for _, bad := range []string{"c1/u1", ""} {
		if _, err := s.User(ctx, bad, "u1"); err == nil {
			t.Fatalf("company id %q accepted", bad)
		}
	}
}

func testOrdering(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	for i, email := range []string{"cy@x.example", "ann@x.example", "bob@x.example"} {
		if err := s.CreateUser(ctx, store.User{ID: "u" + string(rune('9'-i)), CompanyID: "c1", Email: email}); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"j1", "j2", "j3"} {
		// Created in reverse of the id order.
		if err := s.CreateJob(ctx, store.Job{ID: id, CompanyID: "c1", Created: t0.Add(-time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	users, err := s.Users(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, u := range users {
		emails = append(emails, u.Email)
	}
	if got := strings.Join(emails, " "); got != "ann@x.example bob@x.example cy@x.example" {
		t.Fatalf("users in order %s", got)
	}
	jobs, err := s.Jobs(ctx, "c1", store.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 || jobs[0].ID != "j3" || jobs[2].ID != "j1" {
		t.Fatalf("jobs not ordered by creation: %v", jobs)
	}
	if empty, err := s.Printers(ctx, "c1"); err != nil || empty == nil {
		t.Fatalf("empty list %v, %v; want non-nil", empty, err)
	}
}

// testUpdatePrinter checks UpdatePrinter: a change is kept, a failing fn
// changes nothing, id and company cannot be changed, and another company's
// printer is not found.
func testUpdatePrinter(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	if err := s.CreatePrinter(ctx, store.Printer{ID: "p1", CompanyID: "c1", Name: "old", Source: store.PrinterDiscovered}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UpdatePrinter(ctx, "c1", "p1", func(p *store.Printer) error {
		p.Name, p.Enabled, p.ID, p.CompanyID = "new", true, "p9", "c2"
		p.Discovery = &store.Discovery{Serial: "S1", Supplies: []store.Supply{{Name: "Black", Level: 5, Max: 10}}}
		return nil
	})
	if err != nil || got.ID != "p1" || got.CompanyID != "c1" {
		t.Fatalf("UpdatePrinter: %+v, %v", got, err)
	}
	p, err := s.Printer(ctx, "c1", "p1")
	if err != nil || p.Name != "new" || !p.Enabled || p.Discovery == nil || p.Discovery.Serial != "S1" || len(p.Discovery.Supplies) != 1 {
		t.Fatalf("after update: %+v, %v", p, err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdatePrinter(ctx, "c1", "p1", func(p *store.Printer) error { p.Name = "x"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing fn: %v", err)
	}
	if p, _ := s.Printer(ctx, "c1", "p1"); p.Name != "new" {
		t.Fatalf("failing fn changed the printer: %+v", p)
	}
	if _, err := s.UpdatePrinter(ctx, "c2", "p1", func(*store.Printer) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("c2 updates c1's printer: %v", err)
	}
}
