package ldapauth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/ldapauth"
	"github.com/edgeprint/edgeprint/ldapauth/ldaptest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ldaptest.StopShared()
	os.Exit(code)
}

func newClient(t *testing.T, cfg ldapauth.Config) (*ldapauth.Client, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	c, err := ldapauth.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// TestAuthenticate runs every login form and outcome against slapd.
func TestAuthenticate(t *testing.T) {
	srv := ldaptest.Shared(t)
	alice, bob, carol := ldaptest.Alice, ldaptest.Bob, ldaptest.Carol

	searchTLS := srv.Config() // service account, StartTLS with the configured CA
	ldaps := srv.Config()
	ldaps.Servers, ldaps.StartTLS = []string{srv.LDAPSURL}, false
	template := srv.Config() // no service account: bind by DN template, then read own entry
	template.BindDN, template.BindPassword = "", ""
	template.UserDNTemplate = "uid={user},ou=people," + ldaptest.BaseDN

	tests := []struct {
		name     string
		cfg      ldapauth.Config
		user, pw string
		want     ldaptest.User
		err      error
	}{
		{"plain uid", searchTLS, "alice", alice.Password, alice, nil},
		{"UPN", searchTLS, "alice@acme.example", alice.Password, alice, nil},
		{"NetBIOS DOMAIN\\user", searchTLS, `ACME\alice`, alice.Password, alice, nil},
		{"DN", searchTLS, alice.DN(), alice.Password, alice, nil},
		{"LDAPS", ldaps, "alice", alice.Password, alice, nil},
		{"DN template, no service account", template, `ACME\alice`, alice.Password, alice, nil},
		{"admin by group", searchTLS, "bob@acme.example", bob.Password, bob, nil},
		{"wrong password", searchTLS, "alice", "not-" + alice.Password, ldaptest.User{}, ldapauth.ErrInvalidCredentials},
		{"wrong password, DN template", template, "alice", "nope-nope", ldaptest.User{}, ldapauth.ErrInvalidCredentials},
		{"empty password", searchTLS, "alice", "", ldaptest.User{}, ldapauth.ErrInvalidCredentials},
		{"empty password, DN template", template, "alice", "", ldaptest.User{}, ldapauth.ErrInvalidCredentials},
		{"unknown user", searchTLS, "mallory", "whatever1", ldaptest.User{}, ldapauth.ErrInvalidCredentials},
		{"filter injection", searchTLS, "*", alice.Password, ldaptest.User{}, ldapauth.ErrInvalidCredentials},
		{"filter injection 2", searchTLS, "alice)(uid=*", alice.Password, ldaptest.User{}, ldapauth.ErrInvalidCredentials},
		{"locked out", searchTLS, "carol", carol.Password, ldaptest.User{}, ldapauth.ErrAccountLocked},
		{"other domain", searchTLS, `EVIL\alice`, alice.Password, ldaptest.User{}, ldapauth.ErrUnknownDomain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, logs := newClient(t, tc.cfg)
			id, err := c.Authenticate(t.Context(), tc.user, tc.pw)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Authenticate = %+v, %v; want %v", id, err, tc.err)
				}
				if id.DN != "" {
					t.Fatalf("a refused login returned an identity: %+v", id)
				}
			} else {
				if err != nil {
					t.Fatalf("Authenticate: %v\nlogs: %s", err, logs)
				}
				if id.DN != tc.want.DN() || id.Email != tc.want.Email || id.Name != tc.want.Name ||
					id.Card != tc.want.Card || id.Admin != tc.want.Admin {
					t.Fatalf("identity %+v, want %+v", id, tc.want)
				}
				if !contains(id.Groups, ldaptest.PrintingGroupDN) {
					t.Fatalf("groups %v lack %s", id.Groups, ldaptest.PrintingGroupDN)
				}
			}
			if tc.pw != "" && strings.Contains(logs.String(), tc.pw) {
				t.Fatalf("the password is in the log:\n%s", logs)
			}
		})
	}
}

// TestCardAttribute: the badge number comes from the configured attribute,
// and none when the attribute is not configured.
func TestCardAttribute(t *testing.T) {
	srv := ldaptest.Shared(t)
	cfg := srv.Config()
	c, _ := newClient(t, cfg)
	id, err := c.Authenticate(t.Context(), "alice", ldaptest.Alice.Password)
	if err != nil || id.Card != ldaptest.Alice.Card {
		t.Fatalf("card %q, %v; want %q", id.Card, err, ldaptest.Alice.Card)
	}
	cfg.CardAttribute = ""
	c, _ = newClient(t, cfg)
	if id, err = c.Authenticate(t.Context(), "alice", ldaptest.Alice.Password); err != nil || id.Card != "" {
		t.Fatalf("card %q, %v; want none", id.Card, err)
	}
}

// TestTLSNeedsTheCA: without the configured CA the certificate is not
// trusted, and the login is "directory unavailable", never an accept.
func TestTLSNeedsTheCA(t *testing.T) {
	srv := ldaptest.Shared(t)
	for _, tc := range []struct {
		name     string
		server   string
		startTLS bool
	}{{"StartTLS", srv.LDAPURL, true}, {"LDAPS", srv.LDAPSURL, false}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := srv.Config()
			cfg.Servers, cfg.StartTLS, cfg.CAFile = []string{tc.server}, tc.startTLS, ""
			c, _ := newClient(t, cfg)
			if _, err := c.Authenticate(t.Context(), "alice", ldaptest.Alice.Password); !errors.Is(err, ldapauth.ErrDirectoryUnavailable) {
				t.Fatalf("untrusted certificate: %v, want ErrDirectoryUnavailable", err)
			}
		})
	}
}

// TestFailover: a dead server (a closed port) and a silent one (accepts
// and never answers) are skipped for the live one.
func TestFailover(t *testing.T) {
	srv := ldaptest.Shared(t)
	dead := closedPort(t)
	silent := silentServer(t)
	cfg := srv.Config()
	cfg.Servers = []string{"ldap://" + dead, "ldap://" + silent, srv.LDAPURL}
	cfg.OpTimeout = ldapauth.Duration(500 * time.Millisecond)
	c, logs := newClient(t, cfg)
	id, err := c.Authenticate(t.Context(), "alice", ldaptest.Alice.Password)
	if err != nil || id.Email != ldaptest.Alice.Email {
		t.Fatalf("failover: %+v, %v\n%s", id, err, logs)
	}
	if !strings.Contains(logs.String(), dead) || !strings.Contains(logs.String(), silent) {
		t.Fatalf("the failed servers were not logged:\n%s", logs)
	}
}

// TestDirectoryDown: dead and silent directories answer "directory
// unavailable" within the login timeout, whatever the password.
func TestDirectoryDown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server func(t *testing.T) string
	}{{"dead", closedPort}, {"silent", silentServer}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ldapauth.Config{
				Domains: []string{"acme.example"}, Servers: []string{"ldap://" + tc.server(t)}, BaseDN: ldaptest.BaseDN,
				BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
				OpTimeout: ldapauth.Duration(5 * time.Second), LoginTimeout: ldapauth.Duration(time.Second),
			}
			c, _ := newClient(t, cfg)
			start := time.Now()
			_, err := c.Authenticate(t.Context(), "alice", "anything")
			if !errors.Is(err, ldapauth.ErrDirectoryUnavailable) {
				t.Fatalf("got %v, want ErrDirectoryUnavailable", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("took %s, past the 1s login timeout", d)
			}
		})
	}
}

// TestCancel: a caller that gives up (the relay's call ended) ends the
// login at once.
func TestCancel(t *testing.T) {
	cfg := ldapauth.Config{Domains: []string{"acme.example"}, Servers: []string{"ldap://" + silentServer(t)}, BaseDN: ldaptest.BaseDN}
	c, _ := newClient(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Authenticate(ctx, "alice", "pw-pw-pw"); !errors.Is(err, ldapauth.ErrDirectoryUnavailable) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %s after the caller gave up at 200ms", d)
	}
}

// TestServiceAccountRefused: a wrong service password is the directory's
// problem, not the user's: unavailable, and logged without the password.
func TestServiceAccountRefused(t *testing.T) {
	srv := ldaptest.Shared(t)
	cfg := srv.Config()
	cfg.BindPassword = "wrong-service-pw-123"
	c, logs := newClient(t, cfg)
	if _, err := c.Authenticate(t.Context(), "alice", ldaptest.Alice.Password); !errors.Is(err, ldapauth.ErrDirectoryUnavailable) {
		t.Fatalf("got %v, want ErrDirectoryUnavailable", err)
	}
	if !strings.Contains(logs.String(), "service account") || strings.Contains(logs.String(), "wrong-service-pw-123") {
		t.Fatalf("log:\n%s", logs)
	}
}

func TestDirectoryRoutes(t *testing.T) {
	srv := ldaptest.Shared(t)
	other := srv.Config()
	other.Domains = []string{"other.example", "OTHER"}
	other.Servers = []string{"ldap://" + closedPort(t)}
	d, err := ldapauth.NewDirectory([]ldapauth.Config{other, srv.Config()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Domains(); len(got) != 4 {
		t.Fatalf("Domains = %v", got)
	}
	if id, err := d.Authenticate(t.Context(), `ACME\alice`, ldaptest.Alice.Password, ""); err != nil || id.Email != ldaptest.Alice.Email {
		t.Fatalf("ACME login: %+v, %v", id, err)
	}
	if id, err := d.Authenticate(t.Context(), "alice", ldaptest.Alice.Password, "acme.example"); err != nil || id.Email != ldaptest.Alice.Email {
		t.Fatalf("bare name with the default domain: %+v, %v", id, err)
	}
	if _, err := d.Authenticate(t.Context(), `NOPE\alice`, ldaptest.Alice.Password, ""); !errors.Is(err, ldapauth.ErrUnknownDomain) {
		t.Fatalf("unknown domain: %v", err)
	}
	if _, err := ldapauth.NewDirectory([]ldapauth.Config{srv.Config(), srv.Config()}, nil); err == nil {
		t.Fatal("a domain in two directories was accepted")
	}
}

// TestConcurrentLogins: the client holds no shared connection state.
func TestConcurrentLogins(t *testing.T) {
	srv := ldaptest.Shared(t)
	c, _ := newClient(t, srv.Config())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			u := []ldaptest.User{ldaptest.Alice, ldaptest.Bob}[i%2]
			if _, err := c.Authenticate(t.Context(), u.UID, u.Password); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
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
	var conns []net.Conn
	var mu sync.Mutex
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

// TestUsers: the import reads every person, with badge and admin flag,
// and no password.
func TestUsers(t *testing.T) {
	srv := ldaptest.Shared(t)
	c, _ := newClient(t, srv.Config())
	users, err := c.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ldapauth.Identity{}
	for _, u := range users {
		got[u.Email] = u
	}
	for _, want := range ldaptest.Users {
		u, ok := got[want.Email]
		if !ok || u.DN != want.DN() || u.Name != want.Name || u.Card != want.Card || u.Admin != want.Admin {
			t.Errorf("%s: %+v, %v; want %+v", want.UID, u, ok, want)
		}
	}
	if len(users) != len(ldaptest.Users) {
		t.Errorf("%d users, want %d (the service account is no person)", len(users), len(ldaptest.Users))
	}
	cfg := srv.Config()
	cfg.BindDN, cfg.BindPassword = "", ""
	c, _ = newClient(t, cfg)
	if _, err := c.Users(t.Context()); !errors.Is(err, ldapauth.ErrSyncNotConfigured) {
		t.Fatalf("sync without a service account: %v", err)
	}
}
