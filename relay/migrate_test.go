package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/bolt"
)

// migrateFixture is a relay data dir filled through a real relay.
type migrateFixture struct {
	dir        string
	acme       tenant
	acmeAgent  agentCreds
	ann        string // ACME user id
	printer    string // ACME printer id
	heldJobs   []string
	bigJobSize int64
}

// populateDataDir runs a relay on a fresh data dir, fills it through the
// JSON API and agents' tunnels (two companies, users, a printer on a
// site, a reader, agents, held and printed jobs, an unknown card, the
// audit events all of that writes), and stops it.
func populateDataDir(t *testing.T) migrateFixture {
	t.Helper()
	embeddedOnly(t, "relay migrate moves an embedded store")
	f := migrateFixture{dir: t.TempDir(), bigJobSize: 3<<20 + 12345}
	f.acme = initTenant(t, f.dir, "ACME")
	globex := initTenant(t, f.dir, "GLOBEX")
	r := startRelay(t, f.dir)

	var ann, bob, printer, gus struct{ ID string }
	r.call(t, "POST", "/api/v1/users", f.acme.token, map[string]any{"email": "ann@acme.example", "name": "Ann", "password": "ann-password", "cards": []string{"04a1b2c3"}}, http.StatusCreated, &ann)
	r.call(t, "POST", "/api/v1/users", f.acme.token, map[string]any{"email": "bob@acme.example", "name": "Bob"}, http.StatusCreated, &bob)
	r.call(t, "POST", "/api/v1/users", globex.token, map[string]any{"email": "gus@globex.example", "name": "Gus"}, http.StatusCreated, &gus)
	r.call(t, "POST", "/api/v1/printers", f.acme.token, map[string]any{"name": "Lobby", "address": "10.0.0.5", "protocol": "raw9100"}, http.StatusCreated, &printer)
	var site struct{ ID string }
	r.call(t, "POST", "/api/v1/sites", f.acme.token, map[string]any{"name": "HQ"}, http.StatusCreated, &site)
	r.call(t, "PUT", "/api/v1/printers/"+printer.ID+"/site", f.acme.token, map[string]any{"site_id": site.ID}, http.StatusOK, nil)
	r.call(t, "POST", "/api/v1/readers", f.acme.token, map[string]any{"model": "elatec-tcpconv2", "address": "10.0.0.6", "printer_id": printer.ID, "feedback": true}, http.StatusCreated, nil)
	newCode(t, r, f.acme) // an unused activation code
	f.ann, f.printer = ann.ID, printer.ID

	f.acmeAgent = registerTestAgent(t, r, f.acme, "HQ-PC")
	a := connectAgent(t, r, f.acmeAgent)
	g := connectAgent(t, r, registerTestAgent(t, r, globex, "GLOBEX-PC"))
	upload := func(a *testAgent, user, name string, doc io.Reader) string {
		t.Helper()
		id := newJobID()
		if st := a.upload(t, id, user, name, doc); st != http.StatusCreated {
			t.Fatalf("upload %s: %d", name, st)
		}
		return id
	}
	f.heldJobs = []string{
		upload(a, ann.ID, "big.pdf", document(7, f.bigJobSize)),
		upload(a, bob.ID, "small.pdf", strings.NewReader("%PDF-1.7 small")),
	}
	printed := upload(a, ann.ID, "printed.pdf", strings.NewReader("gone after printing"))
	a.call(t, "POST", "/agent/v1/jobs/"+printed+"/state", map[string]string{"state": "printed", "printer_id": printer.ID}, http.StatusNoContent, nil)
	upload(g, gus.ID, "globex.pdf", document(9, 70000))
	a.call(t, "POST", "/agent/v1/swipes", map[string]any{"reader_address": "10.0.0.6", "printer_id": printer.ID,
		"outcome": "unknown", "card_masked": "****FFEE", "card": "00C0FFEE"}, http.StatusNoContent, nil)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	return f
}

// openEmbedded opens a bolt store in a fresh directory, as a target.
func openEmbedded(t *testing.T) (string, func(context.Context, string) (store.Store, error)) {
	dir := t.TempDir()
	return dir, func(context.Context, string) (store.Store, error) { return bolt.Open(filepath.Join(dir, dbFile)) }
}

// TestMigrateIntoEmbeddedStore runs the whole migration into a second
// embedded store: the copy and the checks do not depend on PostgreSQL.
func TestMigrateIntoEmbeddedStore(t *testing.T) {
	f := populateDataDir(t)
	targetDir, open := openEmbedded(t)
	var out bytes.Buffer
	if err := migrateDataDir(t.Context(), f.dir, "postgres://test/target", &out, open); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	t.Logf("progress:\n%s", out.String())
	for _, want := range []string{"company ACME", "company GLOBEX", "documents        3 (3.1 MiB, SHA-256 checked)", "unknown cards    1", "sites            1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q", want)
		}
	}
	checkDatabaseFile(t, f.dir, "postgres://test/target\n")
	dst, err := bolt.Open(filepath.Join(targetDir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	compareDataDir(t, f.dir, dst)
}

func checkDatabaseFile(t *testing.T, dir, want string) {
	t.Helper()
	path := filepath.Join(dir, databaseFile)
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("%s: %q, %v; want %q", path, got, err, want)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("%s mode %v, want 0600", path, info.Mode().Perm())
	}
}

// compareDataDir checks, apart from Migrate's own checks, that dst holds
// every record of the embedded store in dir, and every held document
// byte for byte.
func compareDataDir(t *testing.T, dir string, dst store.Store) {
	t.Helper()
	ctx := t.Context()
	src, err := bolt.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	keys, err := loadMasterKey(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, a, b any) {
		t.Helper()
		if ca, cb := canonical(a), canonical(b); !bytes.Equal(ca, cb) {
			t.Errorf("%s differ:\nsource %s\ntarget %s", what, ca, cb)
		}
	}
	companies, _ := src.Companies(ctx)
	got, _ := dst.Companies(ctx)
	if len(companies) != 2 || len(got) != 2 {
		t.Fatalf("companies: %d in the source, %d in the target", len(companies), len(got))
	}
	documents := 0
	for _, c := range companies {
		id := c.ID
		pairs := []struct {
			what string
			list func(store.Store) (any, error)
		}{
			{"company", func(s store.Store) (any, error) { return s.Company(ctx, id) }},
			{"sites", func(s store.Store) (any, error) { return s.Sites(ctx, id) }},
			{"users", func(s store.Store) (any, error) { return s.Users(ctx, id) }},
			{"tokens", func(s store.Store) (any, error) { return s.Tokens(ctx, id) }},
			{"activation codes", func(s store.Store) (any, error) { return s.ActivationCodes(ctx, id) }},
			{"agents", func(s store.Store) (any, error) { return s.Agents(ctx, id) }},
			{"printers", func(s store.Store) (any, error) { return s.Printers(ctx, id) }},
			{"readers", func(s store.Store) (any, error) { return s.Readers(ctx, id) }},
			{"events", func(s store.Store) (any, error) { return s.Events(ctx, id, store.EventFilter{}) }},
		}
		for _, p := range pairs {
			a, errA := p.list(src)
			b, errB := p.list(dst)
			if errA != nil || errB != nil {
				t.Fatalf("%s of %s: %v, %v", p.what, c.Code, errA, errB)
			}
			same(p.what+" of "+c.Code, a, b)
		}
		readers, _ := src.Readers(ctx, id)
		for _, r := range readers {
			a, _ := src.UnknownCards(ctx, id, r.ID, time.Time{})
			b, _ := dst.UnknownCards(ctx, id, r.ID, time.Time{})
			same("unknown cards", a, b)
		}
		srcJobs, _ := src.Jobs(ctx, id, store.JobFilter{})
		for _, sj := range srcJobs {
			dj, err := dst.Job(ctx, id, sj.ID)
			if err != nil {
				t.Fatalf("job %s: %v", sj.ID, err)
			}
			a, b := sj, dj
			a.WrappedKey, b.WrappedKey = nil, nil
			same("job "+sj.ID, a, b)
			if !sj.HasDocument() {
				continue
			}
			documents++
			if bytes.Equal(sj.WrappedKey, dj.WrappedKey) {
				t.Errorf("job %s: the target kept the source's document key", sj.ID)
			}
			if a, b := readDocument(t, src, keys, sj), readDocument(t, dst, keys, dj); a != b {
				t.Errorf("document of job %s: source sha %s, target sha %s", sj.ID, a, b)
			}
		}
	}
	if documents != 3 {
		t.Errorf("%d documents compared, want 3", documents)
	}
}

func readDocument(t *testing.T, s store.DocumentStore, keys *keyWrapper, j store.Job) string {
	t.Helper()
	key, err := keys.unwrap(j.WrappedKey, j.CompanyID, j.ID)
	if err != nil {
		t.Fatalf("job %s: %v", j.ID, err)
	}
	rc, err := s.OpenDocument(t.Context(), j.DocID, key)
	if err != nil {
		t.Fatalf("job %s: %v", j.ID, err)
	}
	defer rc.Close()
	sum, n := sha(rc)
	if n != j.Size {
		t.Fatalf("job %s: read %d bytes, want %d", j.ID, n, j.Size)
	}
	return sum
}

// failingTarget fails its second document write, as a database that goes
// away mid-copy would.
type failingTarget struct {
	store.Store
	writes int
}

func (f *failingTarget) WriteDocument(ctx context.Context, id string, r io.Reader) ([]byte, int64, error) {
	if f.writes++; f.writes == 2 {
		return nil, 0, errors.New("connection reset by peer")
	}
	return f.Store.WriteDocument(ctx, id, r)
}

// alteringTarget changes what it is given, as a buggy backend would:
// the checks must catch it.
type alteringTarget struct{ store.Store }

func (a alteringTarget) CreateUser(ctx context.Context, u store.User) error {
	u.Name += " (altered)"
	return a.Store.CreateUser(ctx, u)
}

func TestMigrateRefuses(t *testing.T) {
	f := populateDataDir(t)
	before := snapshotDir(t, f.dir)
	tests := []struct {
		name string
		prep func(t *testing.T) func(context.Context, string) (store.Store, error)
		want []string
		// wrote: the run wrote to the target, so the error advises
		// dropping it; never for a database that was not ours.
		wrote bool
	}{
		{"relay running", func(t *testing.T) func(context.Context, string) (store.Store, error) {
			startRelay(t, f.dir)
			_, open := openEmbedded(t)
			return open
		}, []string{"stop the relay first"}, false},
		{"target not empty", func(t *testing.T) func(context.Context, string) (store.Store, error) {
			dir, open := openEmbedded(t)
			initTenant(t, dir, "OTHER")
			return open
		}, []string{"already holds 1 companies", "migrate only into an empty database"}, false},
		{"target fails midway", func(t *testing.T) func(context.Context, string) (store.Store, error) {
			_, open := openEmbedded(t)
			return func(ctx context.Context, url string) (store.Store, error) {
				s, err := open(ctx, url)
				return &failingTarget{Store: s}, err
			}
		}, []string{"connection reset by peer", "company ACME", "nothing in " + f.dir + " changed", "run relay migrate again"}, true},
		{"target alters a record", func(t *testing.T) func(context.Context, string) (store.Store, error) {
			_, open := openEmbedded(t)
			return func(ctx context.Context, url string) (store.Store, error) {
				s, err := open(ctx, url)
				return alteringTarget{s}, err
			}
		}, []string{"verify: company ACME: users: record", "differs between the source and the target"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			open := tc.prep(t)
			err := migrateDataDir(t.Context(), f.dir, "postgres://test/target", io.Discard, open)
			if err == nil {
				t.Fatal("migrate succeeded")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if advised := strings.Contains(err.Error(), "Drop and create"); advised != tc.wrote {
				t.Errorf("error %q: advice to drop the target %v, want %v", err, advised, tc.wrote)
			}
			if _, err := os.Stat(filepath.Join(f.dir, databaseFile)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a failed migration wrote %s: %v", databaseFile, err)
			}
		})
	}
	if after := snapshotDir(t, f.dir); after != before {
		t.Errorf("the source changed:\nbefore %s\nafter  %s", before, after)
	}
	t.Run("not a data dir", func(t *testing.T) {
		_, open := openEmbedded(t)
		empty := t.TempDir()
		if err := migrateDataDir(t.Context(), empty, "postgres://x/y", io.Discard, open); err == nil || !strings.Contains(err.Error(), "not a relay data dir") {
			t.Fatalf("migrate of an empty dir: %v", err)
		}
		if names, _ := os.ReadDir(empty); len(names) != 0 {
			t.Fatalf("migrate of an empty dir created %d files", len(names))
		}
	})
}

// snapshotDir lists the documents and the master key of a data dir with
// their digests: what a failed migration must not touch. (The store file
// itself changes on every open: bbolt writes its free list.)
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, sub := range []string{masterKeyFile, documentsDir} {
		_ = filepath.WalkDir(filepath.Join(dir, sub), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			fh, err := os.Open(path)
			if err != nil {
				return err
			}
			defer fh.Close()
			sum, n := sha(fh)
			fmt.Fprintf(&b, "%s %s %d\n", filepath.Base(path), sum, n)
			return nil
		})
	}
	return b.String()
}

func TestCanonical(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	base := store.User{ID: "u1", CompanyID: "c1", Email: "a@b.example", Created: at}
	tests := []struct {
		name string
		b    store.User
		same bool
	}{
		{"identical", base, true},
		{"other location, microseconds", func() store.User {
			u := base
			u.Created = at.Truncate(time.Microsecond).In(time.FixedZone("X", 3600))
			return u
		}(), true},
		{"empty cards", func() store.User { u := base; u.Cards = []string{}; return u }(), true},
		{"other name", func() store.User { u := base; u.Name = "x"; return u }(), false},
		{"other time", func() store.User { u := base; u.Created = at.Add(time.Millisecond); return u }(), false},
		{"admin", func() store.User { u := base; u.Admin = true; return u }(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := bytes.Equal(canonical(base), canonical(tc.b)); got != tc.same {
				t.Fatalf("canonical equal: %v, want %v\n%s\n%s", got, tc.same, canonical(base), canonical(tc.b))
			}
		})
	}
}
