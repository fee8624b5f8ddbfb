package tunnel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const testToken = "agent-1.secret"

// testRelay is a relay's tunnel endpoint on a real TLS server: it checks the
// bearer token, then Accepts and Serves h, as the relay's handler does.
type testRelay struct {
	srv      *httptest.Server
	sessions chan *Session // relay-side sessions, in the order accepted
	served   chan error    // what each relay-side Serve returned

	mu  sync.Mutex
	raw []net.Conn // every TCP connection, hijacked ones included
}

func newTestRelay(t *testing.T, h http.Handler) *testRelay {
	t.Helper()
	r := &testRelay{sessions: make(chan *Session, 16), served: make(chan error, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/agents/tunnel", func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != "Bearer "+testToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"unknown agent"}`)
			return
		}
		s, err := Accept(w, req)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		r.sessions <- s
		r.served <- s.Serve(h)
	})
	r.srv = httptest.NewUnstartedServer(mux)
	r.srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			r.mu.Lock()
			r.raw = append(r.raw, c)
			r.mu.Unlock()
		}
	}
	r.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake errors the tests cause
	r.srv.StartTLS()
	t.Cleanup(func() {
		r.die() // httptest does not track hijacked connections
		r.srv.Close()
	})
	return r
}

func (r *testRelay) url() string {
	return "wss://" + strings.TrimPrefix(r.srv.URL, "https://") + "/api/v1/agents/tunnel"
}

func (r *testRelay) tlsConfig() *tls.Config {
	return r.srv.Client().Transport.(*http.Transport).TLSClientConfig
}

func (r *testRelay) dialToken(ctx context.Context, token string) (*Session, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	return Dial(ctx, r.url(), h, r.tlsConfig())
}

func (r *testRelay) dial(ctx context.Context) (*Session, error) { return r.dialToken(ctx, testToken) }

// die is the relay process dying: no more listener, every connection dropped
// without a websocket or yamux goodbye.
func (r *testRelay) die() {
	r.srv.Listener.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.raw {
		c.Close()
	}
}

// connect dials r and returns both ends; the agent's is closed at cleanup.
func connect(t *testing.T, r *testRelay) (agent, relay *Session) {
	t.Helper()
	agent, err := r.dial(t.Context())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { agent.Close() })
	select {
	case relay = <-r.sessions:
	case <-t.Context().Done():
		t.Fatal("relay accepted no session")
	}
	return agent, relay
}

// serve runs s.Serve(h) until cleanup; wait returns Serve's result.
func serve(t *testing.T, s *Session, h http.Handler) (wait func() error) {
	t.Helper()
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = s.Serve(h)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return func() error { <-done; return err }
}

// payload is n deterministic pseudo-random bytes.
func payload(seed byte, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

func digest(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// testHandler is what each side serves in these tests.
func testHandler(name string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, name)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		// HTTP/1 is half duplex: read the whole request before answering.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(body)
	})
	mux.HandleFunc("PUT /sink", func(w http.ResponseWriter, r *http.Request) {
		sum, n, err := digest(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s %d", sum, n)
	})
	mux.HandleFunc("GET /source", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		seed, _ := strconv.Atoi(r.URL.Query().Get("seed"))
		io.Copy(w, payload(byte(seed), n))
	})
	return mux
}

func call(ctx context.Context, c *http.Client, method, path string, body io.Reader) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://peer"+path, body)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	return string(data), nil
}

func TestRequestsBothWays(t *testing.T) {
	r := newTestRelay(t, testHandler("relay"))
	agent, relay := connect(t, r)
	serve(t, agent, testHandler("agent"))

	tests := []struct {
		name string
		from *Session
		want string
	}{
		{"agent to relay", agent, "relay"},
		{"relay to agent", relay, "agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := call(t.Context(), tt.from.Client(), http.MethodGet, "/hello", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	if got, want := agent.RemoteAddr().String(), r.srv.Listener.Addr().String(); got != want {
		t.Errorf("agent's RemoteAddr = %s, want the relay's %s", got, want)
	}
	if ip := relay.RemoteAddr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Errorf("relay's RemoteAddr = %v, want the agent's loopback address", relay.RemoteAddr())
	}
}

// TestLargeBodies streams 50 MB each way as request bodies, and as a response
// body the way the agent fetches a job's document.
func TestLargeBodies(t *testing.T) {
	const size = 50 << 20
	r := newTestRelay(t, testHandler("relay"))
	agent, relay := connect(t, r)
	serve(t, agent, testHandler("agent"))
	want, _, _ := digest(payload(7, size))

	upload := func(from *Session) func(*testing.T) {
		return func(t *testing.T) {
			t.Parallel()
			got, err := call(t.Context(), from.Client(), http.MethodPut, "/sink", payload(7, size))
			if err != nil {
				t.Fatal(err)
			}
			if w := fmt.Sprintf("%s %d", want, size); got != w {
				t.Errorf("peer got %s, want %s", got, w)
			}
		}
	}
	t.Run("agent to relay", upload(agent))
	t.Run("relay to agent", upload(relay))
	t.Run("agent downloads from relay", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://peer/source?seed=7&n="+strconv.Itoa(size), nil)
		resp, err := agent.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, n, err := digest(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || n != size {
			t.Errorf("got %d bytes with sha256 %s, want %d with %s", n, got, size, want)
		}
	})
}

func TestConcurrentRequests(t *testing.T) {
	const n = 20
	r := newTestRelay(t, testHandler("relay"))
	agent, relay := connect(t, r)
	serve(t, agent, testHandler("agent"))

	var wg sync.WaitGroup
	for _, from := range []*Session{agent, relay} {
		for i := range n {
			wg.Go(func() {
				body := make([]byte, 64<<10+i)
				io.ReadFull(payload(byte(i), int64(len(body))), body)
				got, err := call(t.Context(), from.Client(), http.MethodPost, "/echo", bytes.NewReader(body))
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				if !bytes.Equal([]byte(got), body) {
					t.Errorf("request %d: echo differs (%d bytes, want %d)", i, len(got), len(body))
				}
			})
		}
	}
	wg.Wait()
}

func TestDialRefused(t *testing.T) {
	r := newTestRelay(t, testHandler("relay"))
	tests := []struct {
		name         string
		dial         func(context.Context) (*Session, error)
		unauthorized bool
		contains     string
	}{
		{"bad token", func(ctx context.Context) (*Session, error) { return r.dialToken(ctx, "agent-1.wrong") }, true, `401 Unauthorized: "unknown agent"`},
		{"wrong path", func(ctx context.Context) (*Session, error) {
			return Dial(ctx, strings.Replace(r.url(), "/tunnel", "/nope", 1), nil, r.tlsConfig())
		}, false, "404"},
		{"plain ws to a remote host", func(ctx context.Context) (*Session, error) {
			return Dial(ctx, "ws://relay.example/api/v1/agents/tunnel", nil, nil)
		}, false, "without TLS"},
		{"untrusted certificate", func(ctx context.Context) (*Session, error) {
			return Dial(ctx, r.url(), nil, nil)
		}, false, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.dial(t.Context())
			if err == nil {
				s.Close()
				t.Fatal("dial succeeded")
			}
			if got := errors.Is(err, ErrUnauthorized); got != tt.unauthorized {
				t.Errorf("errors.Is(%v, ErrUnauthorized) = %v, want %v", err, got, tt.unauthorized)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestClose(t *testing.T) {
	r := newTestRelay(t, testHandler("relay"))
	agent, relay := connect(t, r)
	wait := serve(t, agent, testHandler("agent"))

	if err := agent.Err(); err != nil {
		t.Fatalf("Err of a live session = %v", err)
	}
	for range 2 {
		if err := agent.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	<-agent.Done()
	if err := wait(); err != nil {
		t.Errorf("Serve after Close = %v, want nil", err)
	}
	if err := agent.Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("Err = %v, want ErrClosed", err)
	}
	if _, err := call(t.Context(), agent.Client(), http.MethodGet, "/hello", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("request on a closed session: %v, want ErrClosed", err)
	}

	// The relay sees a clean close: Serve returns nil.
	<-relay.Done()
	if err := <-r.served; err != nil {
		t.Errorf("relay's Serve = %v, want nil", err)
	}
	if err := relay.Err(); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("relay's Err = %v, want ErrPeerClosed", err)
	}
}

func TestPeerDeath(t *testing.T) {
	r := newTestRelay(t, testHandler("relay"))
	agent, relay := connect(t, r)
	wait := serve(t, agent, testHandler("agent"))

	r.die()
	<-relay.Done()
	<-agent.Done()
	err := wait()
	if err == nil {
		t.Fatal("Serve returned nil after the relay died")
	}
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrPeerClosed) {
		t.Errorf("Serve = %v, want a connection error", err)
	}
	if got := agent.Err(); got == nil || got.Error() != err.Error() {
		t.Errorf("Err = %v, want Serve's %v", got, err)
	}
	if err := <-r.served; err == nil {
		t.Error("relay's Serve returned nil after its connection was dropped")
	}
}

func TestServeAfterClose(t *testing.T) {
	r := newTestRelay(t, testHandler("relay"))
	agent, _ := connect(t, r)
	agent.Close()
	if err := agent.Serve(testHandler("agent")); err != nil {
		t.Errorf("Serve on a closed session = %v, want nil", err)
	}
}

// TestAcceptFollowsRequestContext cancels the relay server's BaseContext, as
// a relay does on shutdown: the sessions it accepted close cleanly.
func TestAcceptFollowsRequestContext(t *testing.T) {
	base, shutdown := context.WithCancel(t.Context())
	served := make(chan error, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := Accept(w, r)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		served <- s.Serve(testHandler("relay"))
	}))
	srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	srv.StartTLS()
	defer srv.Close()

	agent, err := Dial(t.Context(), "wss://"+srv.Listener.Addr().String()+"/", nil, srv.Client().Transport.(*http.Transport).TLSClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	if _, err := call(t.Context(), agent.Client(), http.MethodGet, "/hello", nil); err != nil {
		t.Fatal(err)
	}
	shutdown()
	if err := <-served; err != nil {
		t.Errorf("relay's Serve = %v, want nil", err)
	}
	<-agent.Done()
	if err := agent.Err(); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("agent's Err = %v, want ErrPeerClosed", err)
	}
}
