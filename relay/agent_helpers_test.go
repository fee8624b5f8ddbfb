package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/tunnel"
)

// testAgent is a simulated agent: a tunnel to the relay that serves the
// relay's configuration pushes into configs.
type testAgent struct {
	id      string
	sess    *tunnel.Session
	configs chan agentConfig
}

type agentCreds struct {
	id, secret, machine string
}

func machineHash(name string) string {
	sum := sha256.Sum256([]byte("machine " + name))
	return hex.EncodeToString(sum[:])
}

// newCode makes an activation code with ten's token.
func newCode(t *testing.T, r *testRelay, ten tenant) string {
	t.Helper()
	var ac activationCodeResponse
	r.call(t, "POST", "/api/v1/activation-codes", ten.token, map[string]int{"ttl_hours": 1}, http.StatusCreated, &ac)
	return ac.Code
}

// registerTestAgent registers an agent called name to ten.
func registerTestAgent(t *testing.T, r *testRelay, ten tenant, name string) agentCreds {
	t.Helper()
	machine := machineHash(name)
	var resp registerResponse
	r.call(t, "POST", "/api/v1/agents/register", "", registerRequest{
		Company: ten.code, ActivationCode: newCode(t, r, ten), Email: ten.adminEmail, Password: ten.adminPassword,
		MachineHash: machine, Name: name, Version: "0.1.0",
	}, http.StatusCreated, &resp)
	return agentCreds{id: resp.AgentID, secret: resp.Secret, machine: machine}
}

func dialTunnel(ctx context.Context, r *testRelay, id, secret, machine string) (*tunnel.Session, error) {
	url := "wss" + strings.TrimPrefix(r.srv.URL(), "https") + "/api/v1/agents/tunnel"
	h := http.Header{}
	h.Set("Authorization", "Bearer "+id+"."+secret)
	h.Set(machineHeader, machine)
	return tunnel.Dial(ctx, url, h, certs.PinnedConfig(r.srv.Fingerprint()))
}

// connectAgent opens c's tunnel and waits until the relay serves it.
func connectAgent(t *testing.T, r *testRelay, c agentCreds) *testAgent {
	t.Helper()
	sess, err := dialTunnel(t.Context(), r, c.id, c.secret, c.machine)
	if err != nil {
		t.Fatalf("dial tunnel: %v", err)
	}
	a := &testAgent{id: c.id, sess: sess, configs: make(chan agentConfig, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, req *http.Request) {
		var cfg agentConfig
		if err := json.NewDecoder(req.Body).Decode(&cfg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case a.configs <- cfg:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	})
	served := make(chan struct{})
	go func() {
		_ = sess.Serve(mux)
		close(served)
	}()
	t.Cleanup(func() {
		_ = sess.Close()
		<-served
	})
	// The relay answers only once it has registered the tunnel.
	a.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, nil)
	return a
}

// do sends a request to the relay through the tunnel.
func (a *testAgent) do(t *testing.T, method, path string, body io.Reader, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://peer"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := a.sess.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// call sends body as JSON through the tunnel, checks the status and
// decodes the answer into out.
func (a *testAgent) call(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	resp := a.do(t, method, path, rd, map[string]string{"Content-Type": "application/json"})
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("agent %s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("agent %s %s: decode %s: %v", method, path, data, err)
		}
	}
}

// upload PUTs a job document and returns the status.
func (a *testAgent) upload(t *testing.T, jobID, userID, name string, doc io.Reader) int {
	t.Helper()
	resp := a.do(t, "PUT", "/agent/v1/jobs/"+jobID, doc, map[string]string{
		"X-Edgeprint-User":     userID,
		"X-Edgeprint-Job-Name": name,
		"Content-Type":         "application/pdf",
		"X-Edgeprint-Created":  "2025-03-01T12:00:00Z",
	})
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Logf("upload %s: %d %s", jobID, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// waitConfig returns the next configuration pushed to a that passes ok.
func (a *testAgent) waitConfig(t *testing.T, ok func(agentConfig) bool) agentConfig {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case cfg := <-a.configs:
			if ok(cfg) {
				return cfg
			}
		case <-timeout:
			t.Fatal("no config push arrived")
		}
	}
}
