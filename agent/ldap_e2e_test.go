package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/demo"
	"github.com/edgeprint/edgeprint/ldapauth"
	"github.com/edgeprint/edgeprint/ldapauth/ldaptest"
	"github.com/edgeprint/edgeprint/relay"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ldaptest.StopShared()
	os.Exit(code)
}

// site is a relay and one agent, in process on loopback, for a company
// that signs in with its directory.
type site struct {
	t          *testing.T
	relay      *relay.Server
	relayDir   string
	agent      *agent.Agent
	agentDir   string
	token      string
	adminPW    string
	logs       *syncBuffer
	client     *http.Client
	stopRelay  func()
	stopAgent  func()
	stopOnce   sync.Once
	directory  ldapauth.Config
	ipptoolURI string
}

const companyCode = "ACME"

// startSite runs a relay with company ACME set to auth_type ldap and an
// agent serving dir. Everything logs to one buffer.
func startSite(t *testing.T, dir ldapauth.Config) *site {
	t.Helper()
	s := &site{t: t, logs: &syncBuffer{}, relayDir: filepath.Join(t.TempDir(), "relay"), agentDir: filepath.Join(t.TempDir(), "agent"), directory: dir}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(s.logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	init, err := relay.Init(t.Context(), s.relayDir, relay.InitOptions{CompanyCode: companyCode, CompanyName: "Acme", AdminEmail: "it@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	s.token, s.adminPW = init.APIToken, init.AdminPassword
	srv, err := relay.New(relay.Config{Listen: "127.0.0.1:0", DataDir: s.relayDir, AdminListen: "off"}, logger.With("component", "relay"))
	if err != nil {
		t.Fatal(err)
	}
	s.relay = srv
	s.stopRelay = runUntilStopped(t, srv.Serve)
	jar, _ := cookiejar.New(nil)
	s.client = &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(srv.Fingerprint())},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var code struct{ Code string }
	s.api("POST", "/api/v1/activation-codes", map[string]any{}, http.StatusCreated, &code)
	if _, err := agent.Register(t.Context(), s.agentDir, agent.Registration{
		RelayURL: srv.URL(), RelayFingerprint: srv.Fingerprint(), Company: companyCode, ActivationCode: code.Code,
		AdminEmail: "it@acme.example", AdminPassword: agent.Secret(s.adminPW), Name: "acme-hq",
	}); err != nil {
		t.Fatal(err)
	}
	s.api("PATCH", "/api/v1/company", map[string]any{"auth_type": "ldap", "default_domain": "acme.example"}, http.StatusOK, nil)

	cfg := agent.DefaultConfig()
	cfg.Discovery.Disabled = true // never sweep the host's networks from a test
	cfg.DataDir, cfg.Site = s.agentDir, "HQ"
	cfg.Admin.Listen, cfg.IPP.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.CardReaders = agent.ReadersConfig{ElatecTCPConv: agent.Off, ElatecTCPConv2: agent.Off, RFIDeas241: agent.Off}
	cfg.Panel.ConvenienceAuthListen, cfg.Panel.SSOListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.LDAP = []ldapauth.Config{dir}
	a, err := agent.New(cfg, "test", logger.With("component", "agent"))
	if err != nil {
		t.Fatal(err)
	}
	s.agent = a
	s.stopAgent = runUntilStopped(t, a.Run)
	t.Cleanup(s.stop)
	// Connected as the relay sees it: the agent knows a moment before the
	// relay has it in its registry, where directory logins look.
	deadline := time.Now().Add(15 * time.Second)
	for !s.relaySeesAgent() {
		if time.Now().After(deadline) {
			t.Fatal("agent did not connect to the relay")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func (s *site) relaySeesAgent() bool {
	var agents []struct{ Connected bool }
	s.api("GET", "/api/v1/agents", nil, 200, &agents)
	return len(agents) == 1 && agents[0].Connected
}

// stop ends the agent, then the relay, closing their databases.
func (s *site) stop() {
	s.stopOnce.Do(func() {
		s.stopAgent()
		s.stopRelay()
	})
}

func runUntilStopped(t *testing.T, run func(context.Context) error) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("stopped with: %v", err)
			}
		})
	}
}

func (s *site) api(method, path string, in any, want int, out any) {
	s.t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(s.t.Context(), method, s.relay.URL()+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleLogin signs in at the portal and returns the status and page.
func (s *site) consoleLogin(username, password string) (int, string) {
	s.t.Helper()
	resp, err := s.client.Get(s.relay.URL() + "/login")
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		s.t.Fatalf("no CSRF token on the login page:\n%s", page)
	}
	form := url.Values{"csrf": {string(m[1])}, "company": {companyCode}, "email": {username}, "password": {password}}
	resp, err = s.client.PostForm(s.relay.URL()+"/login", form)
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return resp.StatusCode, string(page)
	}
	// Signed in: the console home names the user.
	resp, err = s.client.Get(s.relay.URL() + "/")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

func (s *site) logout() {
	u, _ := url.Parse(s.relay.URL())
	for _, c := range s.client.Jar.Cookies(u) {
		c.MaxAge = -1
		s.client.Jar.SetCookies(u, []*http.Cookie{c})
	}
}

type apiUser struct {
	ID, Email, Name string
	Cards           []string
	Admin           bool
}

func (s *site) user(email string) (apiUser, bool) {
	var users []apiUser
	s.api("GET", "/api/v1/users", nil, http.StatusOK, &users)
	for _, u := range users {
		if u.Email == email {
			return u, true
		}
	}
	return apiUser{}, false
}

// ipptool prints the sample PDF as username over IPP with HTTP Basic
// (plain IPP is allowed from loopback) and returns ipptool's output.
func (s *site) ipptool(username, password string) (string, error) {
	s.t.Helper()
	tool := lookIPPTool(s.t)
	pdf := filepath.Join(s.t.TempDir(), "doc.pdf")
	if err := os.WriteFile(pdf, demo.SamplePDF(), 0o600); err != nil {
		s.t.Fatal(err)
	}
	u := url.URL{Scheme: "ipp", Host: s.agent.IPPAddr(), Path: "/ipp/print", User: url.UserPassword(username, password)}
	ctx, cancel := context.WithTimeout(s.t.Context(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, "-tv", "-f", pdf, u.String(), "print-job.test").CombinedOutput()
	return string(out), err
}

func lookIPPTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ipptool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ipptool is required in CI (Debian cups-ipp-utils)")
		}
		t.Skip("ipptool not installed (Debian cups-ipp-utils)")
	}
	return p
}

// TestDirectoryLoginEndToEnd: an LDAP user signs in at the portal and
// prints over IPP with Basic credentials; both are answered by slapd
// through the tunnel and the agent. Afterwards no password is anywhere in
// the logs, the agent's files or the relay's files.
func TestDirectoryLoginEndToEnd(t *testing.T) {
	ldap := ldaptest.Shared(t)
	s := startSite(t, ldap.Config())
	alice, bob, carol := ldaptest.Alice, ldaptest.Bob, ldaptest.Carol
	wrong := "Wrong-pw-4b7e-LDAPONLY"

	t.Run("portal login, DOMAIN\\user", func(t *testing.T) {
		status, page := s.consoleLogin(`ACME\alice`, alice.Password)
		if status != http.StatusOK || !strings.Contains(page, alice.Email) {
			t.Fatalf("portal login: %d\n%s", status, page)
		}
		s.logout()
		u, ok := s.user(alice.Email)
		if !ok || u.Name != alice.Name || u.Admin || len(u.Cards) != 1 || u.Cards[0] != alice.Card {
			t.Fatalf("alice's record: %+v, %v (want her badge %s enrolled from the directory)", u, ok, alice.Card)
		}
	})
	t.Run("portal login, UPN, admin group", func(t *testing.T) {
		status, page := s.consoleLogin("bob@acme.example", bob.Password)
		if status != http.StatusOK || !strings.Contains(page, bob.Email) {
			t.Fatalf("portal login: %d\n%s", status, page)
		}
		s.logout()
		if u, ok := s.user(bob.Email); !ok || !u.Admin || len(u.Cards) != 1 || u.Cards[0] != bob.Card {
			t.Fatalf("bob's record: %+v, %v (want admin from cn=print-admins)", u, ok)
		}
	})
	t.Run("portal login refused", func(t *testing.T) {
		for _, tc := range []struct{ user, pw string }{
			{"alice", wrong}, {"carol", carol.Password}, {"alice", ""}, {"mallory", wrong},
		} {
			if status, page := s.consoleLogin(tc.user, tc.pw); status != http.StatusUnauthorized && status != http.StatusBadRequest {
				t.Errorf("%s: %d\n%s", tc.user, status, page)
			}
			s.logout()
		}
	})
	t.Run("portal login, no agent serves the domain", func(t *testing.T) {
		status, page := s.consoleLogin(`OTHER\alice`, alice.Password)
		if status != http.StatusServiceUnavailable || !strings.Contains(page, "directory is unavailable") {
			t.Fatalf("got %d\n%s", status, page)
		}
		s.logout()
	})
	t.Run("IPP Basic login and print", func(t *testing.T) {
		for _, name := range []string{"alice", `ACME\alice`} {
			out, err := s.ipptool(name, alice.Password)
			if err != nil {
				t.Fatalf("ipptool as %s: %v\n%s", name, err, out)
			}
		}
		var jobs []struct{ ID, User, State string }
		s.api("GET", "/api/v1/jobs?state=held", nil, http.StatusOK, &jobs)
		deadline := time.Now().Add(20 * time.Second)
		for len(jobs) < 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			s.api("GET", "/api/v1/jobs?state=held", nil, http.StatusOK, &jobs)
		}
		if len(jobs) != 2 || jobs[0].User != alice.Email || jobs[1].User != alice.Email {
			t.Fatalf("held jobs at the relay: %+v, want two of %s", jobs, alice.Email)
		}
	})
	t.Run("IPP Basic login refused", func(t *testing.T) {
		for _, tc := range []struct{ user, pw string }{{"alice", wrong}, {"carol", carol.Password}} {
			out, err := s.ipptool(tc.user, tc.pw)
			if err == nil || !strings.Contains(out, "not-authenticated") && !strings.Contains(out, "401") {
				t.Fatalf("%s printed with bad credentials: %v\n%s", tc.user, err, out)
			}
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get("http://" + s.agent.AdminAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, want := range []string{`edgeprint_ldapauth_logins_total{result="ok"}`, `edgeprint_ldapauth_logins_total{result="locked"}`, `edgeprint_ldapauth_logins_total{result="invalid"}`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	// Everything is on disk once both have stopped.
	s.stop()
	secrets := map[string]string{"alice": alice.Password, "bob": bob.Password, "carol": carol.Password,
		"wrong": wrong, "service account": ldaptest.ServicePassword}
	for what, pw := range secrets {
		if strings.Contains(s.logs.String(), pw) {
			t.Errorf("the %s password is in the logs", what)
		}
		for _, dir := range []string{s.agentDir, s.relayDir} {
			if file := grepDir(t, dir, []byte(pw)); file != "" {
				t.Errorf("the %s password is in %s", what, file)
			}
		}
	}
	// The scans can see: the logs hold the logins, the relay's database
	// the directory users it made.
	if !strings.Contains(s.logs.String(), "directory login accepted") {
		t.Fatal("the logs hold no directory login: the scan proves nothing")
	}
	if grepDir(t, s.relayDir, []byte(alice.Email)) == "" {
		t.Fatal("alice's email is not in the relay's files: the scan proves nothing")
	}
}

// TestDirectoryDownEndToEnd: with the directory down, the portal says so
// and the print queue answers service-unavailable, in bounded time; neither
// accepts.
func TestDirectoryDownEndToEnd(t *testing.T) {
	for _, tc := range []struct{ name, server string }{
		{"dead", "ldap://" + closedPort(t)},
		{"silent", "ldap://" + silentServer(t)},
	} {
		t.Run(tc.name, func(t *testing.T) { testDirectoryDown(t, tc.server) })
	}
}

func testDirectoryDown(t *testing.T, server string) {
	ldap := ldaptest.Shared(t)
	cfg := ldap.Config()
	cfg.Servers = []string{server}
	cfg.LoginTimeout = ldapauth.Duration(time.Second)
	s := startSite(t, cfg)

	start := time.Now()
	status, page := s.consoleLogin("alice", ldaptest.Alice.Password)
	if status != http.StatusServiceUnavailable || !strings.Contains(page, "directory is unavailable") {
		t.Fatalf("portal: %d\n%s", status, page)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("portal answered after %s", d)
	}
	out, err := s.ipptool("alice", ldaptest.Alice.Password)
	if err == nil || !strings.Contains(out, "service-unavailable") {
		t.Fatalf("ipptool with the directory down: %v\n%s", err, out)
	}
	if _, ok := s.user(ldaptest.Alice.Email); ok {
		t.Fatal("a user was created without the directory's word")
	}
}

// grepDir returns the first file under dir holding needle, "" if none.
func grepDir(t *testing.T, dir string, needle []byte) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, needle) {
			found = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentServer accepts connections and never answers: a hung directory.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestDirectorySyncEndToEnd: with sync_interval set, the agent imports the
// directory's people into the relay before anyone signs in: badge numbers
// and admin flags, no passwords.
func TestDirectorySyncEndToEnd(t *testing.T) {
	ldap := ldaptest.Shared(t)
	cfg := ldap.Config()
	cfg.SyncInterval = ldapauth.Duration(time.Second)
	s := startSite(t, cfg)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, a := s.user(ldaptest.Alice.Email)
		_, b := s.user(ldaptest.Bob.Email)
		_, c := s.user(ldaptest.Carol.Email)
		if a && b && c {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the directory's people did not reach the relay")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range ldaptest.Users {
		u, _ := s.user(want.Email)
		if u.Name != want.Name || u.Admin != want.Admin || (want.Card != "" && (len(u.Cards) != 1 || u.Cards[0] != want.Card)) {
			t.Errorf("%s imported as %+v", want.UID, u)
		}
	}
	// Imported is not signed in: the locked account still cannot.
	if status, _ := s.consoleLogin("carol", ldaptest.Carol.Password); status != http.StatusUnauthorized {
		t.Fatalf("locked carol after the import: %d", status)
	}
	s.stop()
	for _, dir := range []string{s.agentDir, s.relayDir} {
		if f := grepDir(t, dir, []byte(ldaptest.ServicePassword)); f != "" {
			t.Errorf("the service account password is in %s", f)
		}
	}
	if strings.Contains(s.logs.String(), ldaptest.ServicePassword) {
		t.Error("the service account password is in the logs")
	}
}
