package relay

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/ldapauth"
	"github.com/edgeprint/edgeprint/tunnel"
)

// connectDirectoryAgent opens c's tunnel announcing domains and serves
// the relay's directory logins with h. (The real agent and slapd are in
// the agent package's end-to-end test; this one drives the relay's side
// through every answer an agent can give.)
func connectDirectoryAgent(t *testing.T, r *testRelay, c agentCreds, domains []string, h http.HandlerFunc) *testAgent {
	t.Helper()
	url := "wss" + strings.TrimPrefix(r.srv.URL(), "https") + "/api/v1/agents/tunnel"
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+c.id+"."+c.secret)
	hdr.Set(machineHeader, c.machine)
	hdr.Set(domainsHeader, strings.Join(domains, ","))
	sess, err := tunnel.Dial(t.Context(), url, hdr, certs.PinnedConfig(r.srv.Fingerprint()))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if h != nil {
		mux.HandleFunc("POST /relay/v1/ldap/authenticate", h)
	}
	served := make(chan struct{})
	go func() {
		_ = sess.Serve(mux)
		close(served)
	}()
	t.Cleanup(func() {
		_ = sess.Close()
		<-served
	})
	// Wait until the relay lists the tunnel.
	a := &testAgent{id: c.id, sess: sess}
	a.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, nil)
	return a
}

// directory answers logins from a fixed table, like a directory would.
type directory struct {
	mu    sync.Mutex
	users map[string]ldapauth.Identity // by username
	pw    string
	calls int
}

func (d *directory) serve(w http.ResponseWriter, r *http.Request) {
	var req struct{ Username, Password, Domain string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	id, ok := d.users[req.Username]
	if !ok || req.Password != d.pw {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid credentials"})
		return
	}
	writeJSON(w, http.StatusOK, id)
}

func (d *directory) set(username string, id ldapauth.Identity) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[username] = id
}

func TestCompanyAuthType(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"unknown type", map[string]any{"auth_type": "kerberos"}, 400},
		{"bad domain", map[string]any{"default_domain": "acme example"}, 400},
		{"ldap", map[string]any{"auth_type": "ldap", "default_domain": "acme.example"}, 200},
		{"netbios default", map[string]any{"default_domain": "ACME"}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.call(t, "PATCH", "/api/v1/company", acme.token, tc.body, tc.want, nil)
		})
	}
	var c companyResponse
	r.call(t, "GET", "/api/v1/company", acme.token, nil, http.StatusOK, &c)
	if c.AuthType != "ldap" || c.DefaultDomain != "ACME" {
		t.Fatalf("company: %+v", c)
	}
}

// TestDirectoryLogin: for an ldap company, /agent/v1/auth and the console
// go to an agent that serves the domain; a failing agent is skipped; the
// user record follows the directory; nothing but an agent's 200 accepts.
func TestDirectoryLogin(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	// The print queue's agent serves no directory; two others do, one of
	// them broken.
	queue := connectAgent(t, r, registerTestAgent(t, r, acme, "queue"))
	good := &directory{pw: "right-pw-1", users: map[string]ldapauth.Identity{}}
	good.set(`ACME\alice`, ldapauth.Identity{DN: "uid=alice,dc=acme", Email: "Alice@acme.example", Name: "Alice", Card: "0a0b0c"})
	good.set("alice", ldapauth.Identity{DN: "uid=alice,dc=acme", Email: "alice@acme.example", Name: "Alice A.", Card: "0a0b0c", Admin: true})
	good.set("bob@acme.example", ldapauth.Identity{DN: "uid=bob,dc=acme", Email: "bob@acme.example", Name: "Bob", Card: "0A0B0C"})
	good.set("noemail", ldapauth.Identity{DN: "uid=noemail,dc=acme", Name: "No Email"})
	connectDirectoryAgent(t, r, registerTestAgent(t, r, acme, "dc-good"), []string{"acme.example", "ACME"}, good.serve)
	connectDirectoryAgent(t, r, registerTestAgent(t, r, acme, "dc-broken"), []string{"acme.example", "ACME", "broken.example"},
		func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "directory unavailable"})
		})
	connectDirectoryAgent(t, r, registerTestAgent(t, r, acme, "dc-garbage"), []string{"garbage.example"},
		func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, map[string]string{"dn": ""}) })

	auth := func(t *testing.T, username, pw string, want int) identity {
		t.Helper()
		var id identity
		queue.call(t, "POST", "/agent/v1/auth", map[string]string{"username": username, "password": pw}, want, &id)
		return id
	}
	// Local first: a directory user is unknown to the relay.
	auth(t, `ACME\alice`, "right-pw-1", http.StatusUnauthorized)
	r.call(t, "PATCH", "/api/v1/company", acme.token, map[string]any{"auth_type": "ldap", "default_domain": "acme.example"}, http.StatusOK, nil)

	id := auth(t, `ACME\alice`, "right-pw-1", http.StatusOK)
	if id.Email != "alice@acme.example" || id.Name != "Alice" || id.ID == "" {
		t.Fatalf("identity %+v", id)
	}
	auth(t, `ACME\alice`, "wrong-pw-1", http.StatusUnauthorized)
	auth(t, `ACME\alice`, "", http.StatusUnauthorized)
	auth(t, `OTHER\alice`, "right-pw-1", http.StatusServiceUnavailable)       // nobody serves OTHER
	auth(t, "x@broken.example", "right-pw-1", http.StatusServiceUnavailable)  // its only agent fails
	auth(t, "x@garbage.example", "right-pw-1", http.StatusServiceUnavailable) // an unusable answer is no accept
	auth(t, "noemail", "right-pw-1", http.StatusUnauthorized)                 // no email, no user
	// A bare name takes the default domain; the record follows the
	// directory: same user, new name, now an admin.
	again := auth(t, "alice", "right-pw-1", http.StatusOK)
	if again.ID != id.ID || again.Name != "Alice A." {
		t.Fatalf("second login: %+v, first %+v", again, id)
	}
	// Bob's directory card is Alice's already: Bob is created without it.
	auth(t, "bob@acme.example", "right-pw-1", http.StatusOK)

	var users []userResponse
	r.call(t, "GET", "/api/v1/users", acme.token, nil, http.StatusOK, &users)
	got := map[string]userResponse{}
	for _, u := range users {
		got[u.Email] = u
	}
	if a := got["alice@acme.example"]; !a.Admin || len(a.Cards) != 1 || a.Cards[0] != "0A0B0C" {
		t.Fatalf("alice: %+v", a)
	}
	if b, ok := got["bob@acme.example"]; !ok || len(b.Cards) != 0 {
		t.Fatalf("bob: %+v, %v (the card is alice's)", b, ok)
	}
	if _, ok := got["noemail"]; ok || len(users) != 3 { // the admin from init, alice, bob
		t.Fatalf("users: %+v", users)
	}

	// The console takes the same path.
	if status := newConsole(t, r).login(t, "ACME", `ACME\alice`, "right-pw-1"); status != http.StatusSeeOther {
		t.Fatalf("console login: %d", status)
	}
	c := newConsole(t, r)
	resp, page := c.send(t, "POST", "/login", url.Values{"csrf": {c.csrf(t, "/login")}, "company": {"ACME"}, "email": {`OTHER\alice`}, "password": {"right-pw-1"}})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(page), "directory is unavailable") {
		t.Fatalf("console login, no agent: %d %s", resp.StatusCode, page)
	}
	// Local passwords no longer sign in to an ldap company.
	if status := newConsole(t, r).login(t, "ACME", acme.adminEmail, acme.adminPassword); status == http.StatusSeeOther {
		t.Fatal("the local admin signed in to an ldap company")
	}
	if strings.Contains(r.logs.String(), "right-pw-1") || strings.Contains(r.logs.String(), "wrong-pw-1") {
		t.Fatal("a password is in the relay's log")
	}
}

// TestDirectoryImport: an agent imports people only for a domain it
// announced, and only into a company that signs in with its directory.
func TestDirectoryImport(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	a := connectDirectoryAgent(t, r, registerTestAgent(t, r, acme, "dc"), []string{"acme.example"}, nil)
	batch := func(domain string) map[string]any {
		return map[string]any{"domain": domain, "users": []ldapauth.Identity{
			{DN: "uid=ann,dc=acme", Email: "ann@acme.example", Name: "Ann", Card: "0F0F", Admin: true},
			{DN: "uid=x,dc=acme", Name: "no email"},
		}}
	}
	a.call(t, "POST", "/agent/v1/directory/users", batch("acme.example"), http.StatusConflict, nil) // still local
	r.call(t, "PATCH", "/api/v1/company", acme.token, map[string]any{"auth_type": "ldap"}, http.StatusOK, nil)
	a.call(t, "POST", "/agent/v1/directory/users", batch("evil.example"), http.StatusForbidden, nil)
	var res struct{ Imported, Skipped int }
	a.call(t, "POST", "/agent/v1/directory/users", batch("ACME.example"), http.StatusOK, &res)
	if res.Imported != 1 || res.Skipped != 1 {
		t.Fatalf("import: %+v", res)
	}
	var users []userResponse
	r.call(t, "GET", "/api/v1/users", acme.token, nil, http.StatusOK, &users)
	if len(users) != 2 || users[1].Email != "ann@acme.example" || !users[1].Admin || len(users[1].Cards) != 1 {
		t.Fatalf("users: %+v", users)
	}
}

// startRelayTuned is startRelay with tune applied to the server before it
// serves.
func startRelayTuned(t *testing.T, dataDir string, tune func(*Server)) *testRelay {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), nil))
	srv, err := New(Config{Listen: "127.0.0.1:0", DataDir: dataDir, AdminListen: "off"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	tune(srv)
	ctx, cancel := context.WithCancel(context.Background())
	r := &testRelay{srv: srv, dataDir: dataDir, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Serve(ctx) }()
	r.client = pinnedClient(srv.Fingerprint())
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

// TestDirectoryAgentSilent: an agent that takes the call and never
// answers costs at most the directory timeout, then "directory
// unavailable"; the agent's call is cancelled.
func TestDirectoryAgentSilent(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelayTuned(t, dir, func(s *Server) { s.directoryTimeout = 300 * time.Millisecond })
	queue := connectAgent(t, r, registerTestAgent(t, r, acme, "queue"))
	cancelled := make(chan struct{}, 1)
	connectDirectoryAgent(t, r, registerTestAgent(t, r, acme, "dc-silent"), []string{"acme.example"},
		func(w http.ResponseWriter, req *http.Request) {
			// Read the body as the agent does: only then does the
			// server watch the stream for the caller going away.
			_, _ = io.Copy(io.Discard, req.Body)
			<-req.Context().Done()
			cancelled <- struct{}{}
		})
	r.call(t, "PATCH", "/api/v1/company", acme.token, map[string]any{"auth_type": "ldap"}, http.StatusOK, nil)
	start := time.Now()
	queue.call(t, "POST", "/agent/v1/auth", map[string]string{"username": "alice@acme.example", "password": "pw-pw-pw"}, http.StatusServiceUnavailable, nil)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answered after %s with a 300ms directory timeout", d)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the silent agent's call was never cancelled")
	}
}
