// Package simagent is the benchmarks' simulated site agent: one real
// tunnel to the relay (package tunnel: TLS, websocket, yamux), answering
// the relay's calls as docs/agent-protocol.md says. A configuration push
// is taken; a release is "printed" by downloading the job's document
// through the tunnel, as an agent does for a job it no longer spools.
package simagent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/tunnel"
)

// Agent is a connected simulated agent.
type Agent struct {
	sess   *tunnel.Session
	served chan struct{}
	// printed is called after a release downloaded all n bytes of jobID.
	printed func(jobID string, n int64)
}

// Dial opens the tunnel of agent id (secret, machine hash) to the relay at
// relayURL (https://…, certificate pinned to pin) and returns once the
// relay serves it. printed may be nil.
func Dial(ctx context.Context, relayURL, pin, id, secret, machine string, printed func(jobID string, n int64)) (*Agent, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+id+"."+secret)
	h.Set("X-Edgeprint-Machine", machine)
	sess, err := tunnel.Dial(ctx, "wss"+strings.TrimPrefix(relayURL, "https")+"/api/v1/agents/tunnel", h, certs.PinnedConfig(pin))
	if err != nil {
		return nil, err
	}
	a := &Agent{sess: sess, served: make(chan struct{}), printed: printed}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /relay/v1/release", a.release)
	go func() {
		_ = sess.Serve(mux)
		close(a.served)
	}()
	// The relay registers the tunnel before it serves it: one answered
	// request means releases can reach this agent.
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://peer/agent/v1/config", nil)
	resp, err := sess.Client().Do(req)
	if err != nil {
		a.Close()
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		a.Close()
		return nil, fmt.Errorf("GET /agent/v1/config: %d", resp.StatusCode)
	}
	return a, nil
}

// Close ends the tunnel and waits until it is no longer served.
func (a *Agent) Close() {
	_ = a.sess.Close()
	<-a.served
}

// release answers POST /relay/v1/release: it downloads the document
// through the tunnel and answers printed once it has all of it.
func (a *Agent) release(w http.ResponseWriter, r *http.Request) {
	var req struct {
		JobID string `json:"job_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || req.JobID == "" {
		http.Error(w, `{"error":"bad body"}`, http.StatusBadRequest)
		return
	}
	dreq, _ := http.NewRequestWithContext(r.Context(), "GET", "http://peer/agent/v1/jobs/"+req.JobID+"/document", nil)
	resp, err := a.sess.Client().Do(dreq)
	if err != nil {
		http.Error(w, `{"error":"download failed"}`, http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		http.Error(w, `{"error":"download failed"}`, http.StatusBadGateway)
		return
	}
	if a.printed != nil {
		a.printed(req.JobID, n)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"state":"printed"}`))
}

// Upload stores a held PDF job for user userID through the tunnel, as an
// agent does after its print queue received it.
func (a *Agent) Upload(ctx context.Context, jobID, userID string, doc []byte) error {
	req, err := http.NewRequestWithContext(ctx, "PUT", "http://peer/agent/v1/jobs/"+jobID, strings.NewReader(string(doc)))
	if err != nil {
		return err
	}
	req.Header.Set("X-Edgeprint-User", userID)
	req.Header.Set("X-Edgeprint-Job-Name", "bench-"+jobID[:min(8, len(jobID))]+".pdf")
	req.Header.Set("Content-Type", "application/pdf")
	resp, err := a.sess.Client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("upload: %d %s", resp.StatusCode, b)
	}
	return nil
}
