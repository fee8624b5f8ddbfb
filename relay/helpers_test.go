package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"

	"github.com/edgeprint/edgeprint/certs"
)

// testRelay is a relay serving on loopback for one test.
type testRelay struct {
	srv     *Server
	dataDir string
	logs    *syncBuffer
	client  *http.Client // pinned to the relay's certificate

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// startRelay runs a relay on dataDir until the test ends (or stop).
func startRelay(t *testing.T, dataDir string) *testRelay {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), nil))
	srv, err := New(Config{Listen: "127.0.0.1:0", DataDir: dataDir, AdminListen: "127.0.0.1:0"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	// Not t.Context(): it is cancelled before Cleanup, and the Cleanup
	// below wants to see Serve's result.
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

// stop cancels Serve and waits for it to return.
func (r *testRelay) stop() error {
	r.stopOnce.Do(func() {
		r.cancel()
		r.stopErr = <-r.done
	})
	return r.stopErr
}

func pinnedClient(fingerprint string) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(fingerprint)},
		Jar:       jar,
		// The console answers with redirects the tests look at.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends a JSON request (body nil for none; a string is sent as is)
// with an optional bearer token and returns status and body.
func (r *testRelay) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, r.srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// call is do that fails the test unless the status is want, and decodes a
// JSON answer into out (when out is not nil).
func (r *testRelay) call(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, data := r.do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, status, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
}

// tenant is a company made with Init.
type tenant struct {
	code, id, token, adminEmail, adminPassword string
}

// initTenant runs Init for code in dataDir (the relay must not be running).
func initTenant(t *testing.T, dataDir, code string) tenant {
	t.Helper()
	email := "admin@" + strings.ToLower(code) + ".example"
	res, err := Init(t.Context(), dataDir, InitOptions{CompanyCode: code, CompanyName: code + " Ltd", AdminEmail: email})
	if err != nil {
		t.Fatal(err)
	}
	return tenant{code: code, id: res.CompanyID, token: res.APIToken, adminEmail: email, adminPassword: res.AdminPassword}
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
