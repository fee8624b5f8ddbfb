package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/tunnel"
)

// apiClient calls the JSON API of any replica (or the balancer).
type apiClient struct {
	client *http.Client
	token  string
}

func (c *apiClient) do(ctx context.Context, base, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w", data, err)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s", strings.TrimSpace(string(data)))
	}
	return resp.StatusCode, nil
}

func (c *apiClient) call(t *testing.T, base, method, path string, body any, want int, out any) {
	t.Helper()
	if st, err := c.do(t.Context(), base, method, path, body, out); st != want {
		t.Fatalf("%s %s: %d %v, want %d", method, path, st, err, want)
	}
}

// replicaAgent is a simulated agent that keeps its tunnel up through the
// balancer: when it drops it redials (jittered backoff, capped at a
// second), as the real agent does. It prints what it is released (after
// downloading the document through the tunnel) and remembers it.
type replicaAgent struct {
	id, secret, machine, url, fingerprint string

	mu      sync.Mutex
	sess    *tunnel.Session
	up      chan struct{} // a new session is serving
	upAt    time.Time
	printed []string
	delay   time.Duration
	pushes  atomic.Int32 // configuration pushes received
	// domains is announced on the handshake; the agent then answers
	// directory checks (directoryPassword is right).
	domains    string
	ldapChecks atomic.Int32

	cancel context.CancelFunc
	done   chan struct{}
}

func newReplicaAgent(id, secret, machine, url, fingerprint string) *replicaAgent {
	return &replicaAgent{id: id, secret: secret, machine: machine, url: url, fingerprint: fingerprint,
		up: make(chan struct{}, 1), done: make(chan struct{})}
}

func (a *replicaAgent) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() {
		defer close(a.done)
		a.run(ctx)
	}()
	t.Cleanup(func() {
		a.cancel()
		a.mu.Lock()
		if a.sess != nil {
			a.sess.Close()
		}
		a.mu.Unlock()
		<-a.done
	})
}

func (a *replicaAgent) run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+a.id+"."+a.secret)
		h.Set(machineHeader, a.machine)
		if a.domains != "" {
			h.Set(domainsHeader, a.domains)
		}
		sess, err := tunnel.Dial(ctx, "wss"+strings.TrimPrefix(a.url, "https")+"/api/v1/agents/tunnel", h, certs.PinnedConfig(a.fingerprint))
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		served := make(chan struct{})
		go func() {
			_ = sess.Serve(a.mux(sess))
			close(served)
		}()
		// The relay answers only once it has registered the tunnel.
		if st := a.request(ctx, sess, "GET", "/agent/v1/config", nil, nil); st == http.StatusOK {
			a.mu.Lock()
			a.sess, a.upAt = sess, time.Now()
			a.mu.Unlock()
			select {
			case a.up <- struct{}{}:
			default:
			}
		}
		select {
		case <-sess.Done():
		case <-ctx.Done():
		}
		sess.Close()
		<-served
	}
}

func (a *replicaAgent) mux(sess *tunnel.Session) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, r *http.Request) {
		a.pushes.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /relay/v1/ldap/authenticate", func(w http.ResponseWriter, r *http.Request) {
		a.ldapChecks.Add(1)
		var req struct{ Username, Password string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Password != directoryPassword {
			http.Error(w, `{"error":"invalid credentials"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"dn": "cn=bob,dc=acme,dc=example", "email": req.Username, "name": "Bob"})
	})
	mux.HandleFunc("POST /relay/v1/release", func(w http.ResponseWriter, r *http.Request) {
		var rel struct {
			JobID string `json:"job_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&rel); err != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		var doc bytes.Buffer
		if st := a.request(r.Context(), sess, "GET", "/agent/v1/jobs/"+rel.JobID+"/document", nil, &doc); st != http.StatusOK || doc.String() != "doc "+rel.JobID {
			http.Error(w, `{"error":"download failed"}`, http.StatusBadGateway)
			return
		}
		a.mu.Lock()
		delay := a.delay
		a.mu.Unlock()
		time.Sleep(delay) // the printer taking the job
		a.mu.Lock()
		a.printed = append(a.printed, rel.JobID)
		a.mu.Unlock()
		w.Write([]byte(`{"state":"printed"}`))
	})
	return mux
}

// request makes a request to the relay through sess; it returns the
// status, 0 when the tunnel failed.
func (a *replicaAgent) request(ctx context.Context, sess *tunnel.Session, method, path string, body io.Reader, out io.Writer, header ...string) int {
	req, err := http.NewRequestWithContext(ctx, method, "http://peer"+path, body)
	if err != nil {
		return 0
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := sess.Client().Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out == nil {
		out = io.Discard
	}
	if _, err := io.Copy(out, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return 0
	}
	return resp.StatusCode
}

func (a *replicaAgent) session() *tunnel.Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess
}

func (a *replicaAgent) upload(t *testing.T, jobID, userID, doc string) {
	t.Helper()
	st := a.request(t.Context(), a.session(), "PUT", "/agent/v1/jobs/"+jobID, strings.NewReader(doc), nil,
		"X-Edgeprint-User", userID, "X-Edgeprint-Job-Name", jobID, "Content-Type", "application/pdf",
		"X-Edgeprint-Created", "2025-03-01T12:00:00Z")
	if st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("agent %s upload %s: %d", a.id, jobID, st)
	}
}

func (a *replicaAgent) setDelay(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.delay = d
}

func (a *replicaAgent) printedSet() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.printed)
}

func (a *replicaAgent) lastUp() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.upAt
}

func (a *replicaAgent) waitUp(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case <-a.up:
	case <-time.After(limit):
		t.Fatalf("agent %s did not connect", a.id)
	}
}

// waitUpSince waits for a tunnel that came up after since.
func (a *replicaAgent) waitUpSince(t *testing.T, since time.Time, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for !a.lastUp().After(since) {
		select {
		case <-a.up:
		case <-deadline:
			t.Fatalf("agent %s did not reconnect", a.id)
		}
	}
}
