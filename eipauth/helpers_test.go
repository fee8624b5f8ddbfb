package eipauth_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/eipauth"
	"github.com/edgeprint/edgeprint/eipauth/paneltest"
)

var (
	alice = eipauth.User{ID: "u-alice", Email: "alice@example.com", Name: "Alice Martin", AccountingCodes: []string{"PRJ-7"}}
	bob   = eipauth.User{ID: "u-bob", Email: "bob@example.com", Name: "Bob Stone"}
	p1    = eipauth.Printer{ID: "p1", Name: "Floor 1", Address: "127.0.0.1"}
	p2    = eipauth.Printer{ID: "p2", Name: "Floor 2", Address: "127.0.0.2"}
)

// backend is the agent's side, in memory.
type backend struct {
	mu       sync.Mutex
	jobs     map[string]string // job id → owner id
	released []string          // "job@printer"
	auto     []string          // "user@printer"
}

func newBackend() *backend {
	return &backend{jobs: map[string]string{"j-a1": alice.ID, "j-a2": alice.ID, "j-b1": bob.ID}}
}

func (b *backend) PrinterFor(key string) (eipauth.Printer, error) {
	for _, p := range []eipauth.Printer{p1, p2} {
		if key == p.ID || key == p.Address {
			return p, nil
		}
	}
	return eipauth.Printer{}, eipauth.ErrUnknownPrinter
}

func (b *backend) Authenticate(ctx context.Context, user, pw string) (eipauth.User, error) {
	if user == "alice@example.com" && pw == "correct horse" {
		return alice, nil
	}
	return eipauth.User{}, eipauth.ErrDenied
}

func (b *backend) CardOwner(ctx context.Context, card string) (eipauth.User, error) {
	switch card {
	case "1001":
		return alice, nil
	case "2002":
		return bob, nil
	}
	return eipauth.User{}, eipauth.ErrDenied
}

func (b *backend) Jobs(ctx context.Context, u eipauth.User) ([]eipauth.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []eipauth.Job
	for id, owner := range b.jobs {
		if owner == u.ID {
			out = append(out, eipauth.Job{ID: id, Name: id})
		}
	}
	return out, nil
}

func (b *backend) Release(ctx context.Context, u eipauth.User, p eipauth.Printer, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jobs[id] != u.ID {
		return eipauth.ErrDenied
	}
	delete(b.jobs, id)
	b.released = append(b.released, id+"@"+p.ID)
	return nil
}

func (b *backend) Delete(ctx context.Context, u eipauth.User, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jobs[id] != u.ID {
		return eipauth.ErrDenied
	}
	delete(b.jobs, id)
	return nil
}

func (b *backend) AutoRelease(u eipauth.User, p eipauth.Printer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.auto = append(b.auto, u.ID+"@"+p.ID)
}

func newService(t *testing.T, b *backend) (*eipauth.Service, *[]eipauth.Event) {
	t.Helper()
	var mu sync.Mutex
	events := &[]eipauth.Event{}
	svc := eipauth.New(eipauth.Config{
		Printers: b, Authenticator: b, Cards: b, Jobs: b, Releaser: b,
		Audit: func(e eipauth.Event) { mu.Lock(); *events = append(*events, e); mu.Unlock() },
	})
	return svc, events
}

// agentTLS is the agent's generated self-signed certificate, and a client
// config that trusts exactly it.
func agentTLS(t *testing.T) (*tls.Config, *tls.Config) {
	t.Helper()
	cert, err := certs.LoadOrCreate("", "", t.TempDir(), "agent", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// serveTLS serves h with eipauth.Serve on 127.0.0.1 with the agent's
// certificate and returns its base URL and a client pinned to it.
func serveTLS(t *testing.T, h http.Handler) (string, *http.Client) {
	t.Helper()
	server, client := agentTLS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eipauth.Serve(ctx, ln, server, h, testLogger(t)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "https://" + ln.Addr().String(), &http.Client{Transport: &http.Transport{TLSClientConfig: client}}
}

// inProcess is a client that calls h directly, from remote: usable inside
// a synctest bubble, where real sockets are not.
func inProcess(h http.Handler, remote string) *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func panel(url string, c *http.Client, soap12 bool) *paneltest.Panel {
	return &paneltest.Panel{URL: url, Client: c, SOAP12: soap12}
}
