package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/tunnel"
)

// dialTimeout bounds one tunnel handshake and the first request on it.
const dialTimeout = time.Minute

// simAgent is a simulated agent: one real tunnel, serving the relay's
// calls as the agent does (docs/agent-protocol.md).
type simAgent struct {
	creds   agentCreds
	replica int
	sess    *tunnel.Session
	served  chan struct{}
	// jobs are the held jobs this agent uploaded: a release for another
	// job reached the wrong agent.
	jobs sync.Map
	stat *releaseStats
}

// connectAll opens every agent's tunnel, agent i to replica i mod the
// number of relays, dialers at a time, and prints progress every 1,000.
func connectAll(ctx context.Context, fx *fixture, relays []*relayProc, dialers int, stat *releaseStats) ([]*simAgent, error) {
	agents := make([]*simAgent, len(fx.agents))
	var done atomic.Int64
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(dialers)
	for i, c := range fx.agents {
		g.Go(func() error {
			a := &simAgent{creds: c, replica: i % len(relays), stat: stat}
			if err := a.connect(gctx, relays[a.replica].url, fx.fingerprint); err != nil {
				return fmt.Errorf("agent %d: %w", i, err)
			}
			agents[i] = a
			if n := done.Add(1); n%1000 == 0 || int(n) == len(agents) {
				fmt.Printf("  %6d tunnels (%v)\n", n, time.Since(start).Round(time.Millisecond))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		closeAll(agents)
		return nil, err
	}
	return agents, nil
}

func closeAll(agents []*simAgent) {
	var wg sync.WaitGroup
	for _, a := range agents {
		if a != nil {
			wg.Go(a.close)
		}
	}
	wg.Wait()
}

func (a *simAgent) connect(ctx context.Context, base, pin string) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+a.creds.id+"."+a.creds.secret)
	h.Set("X-Edgeprint-Machine", a.creds.machine)
	sess, err := tunnel.Dial(ctx, "wss"+strings.TrimPrefix(base, "https")+"/api/v1/agents/tunnel", h, certs.PinnedConfig(pin))
	if err != nil {
		return err
	}
	a.sess, a.served = sess, make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /relay/v1/release", a.release)
	go func() {
		_ = sess.Serve(mux)
		close(a.served)
	}()
	// The relay answers only once it has registered the tunnel.
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://peer/agent/v1/config", nil)
	resp, err := sess.Client().Do(req)
	if err != nil {
		a.close()
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		a.close()
		return fmt.Errorf("GET /agent/v1/config: %d", resp.StatusCode)
	}
	return nil
}

func (a *simAgent) close() {
	if a.sess != nil {
		_ = a.sess.Close()
		<-a.served
	}
}

// release answers POST /relay/v1/release as an agent that does not hold
// the job in its spool: it downloads the document through the tunnel and
// answers printed once it has all of it.
func (a *simAgent) release(w http.ResponseWriter, r *http.Request) {
	var req struct {
		JobID     string `json:"job_id"`
		PrinterID string `json:"printer_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || req.JobID == "" {
		http.Error(w, `{"error":"bad body"}`, http.StatusBadRequest)
		return
	}
	if _, ok := a.jobs.Load(req.JobID); !ok {
		a.stat.misrouted.Add(1)
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
	a.stat.downloaded.Add(n)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"state":"printed"}`))
}

// upload stores a held job for the company's user through the tunnel, as
// an agent does after a print queue received it.
func (a *simAgent) upload(ctx context.Context, jobID, userID string, doc []byte) error {
	req, err := http.NewRequestWithContext(ctx, "PUT", "http://peer/agent/v1/jobs/"+jobID, strings.NewReader(string(doc)))
	if err != nil {
		return err
	}
	req.Header.Set("X-Edgeprint-User", userID)
	req.Header.Set("X-Edgeprint-Job-Name", "bench-"+jobID[:8]+".pdf")
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
	a.jobs.Store(jobID, true)
	return nil
}
