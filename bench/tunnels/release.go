package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/edgeprint/edgeprint/certs"
)

// releaseTimeout bounds one release round trip as a client sees it.
const releaseTimeout = 3 * time.Minute

// releaseStats is what the release phase measured.
type releaseStats struct {
	mu         sync.Mutex
	lat        []time.Duration
	failed     int
	firstErr   string
	wall       time.Duration
	crossed    int          // releases issued at a relay other than the one holding the agent's tunnel
	misrouted  atomic.Int64 // releases that reached an agent that had not uploaded the job
	downloaded atomic.Int64 // document bytes the agents fetched
}

func (s *releaseStats) add(d time.Duration, err error, crossed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if crossed {
		s.crossed++
	}
	if err != nil {
		s.failed++
		if s.firstErr == "" {
			s.firstErr = err.Error()
		}
		return
	}
	s.lat = append(s.lat, d)
}

func (s *releaseStats) pct(p int) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	i := (len(s.lat)*p + 99) / 100
	return s.lat[min(max(i-1, 0), len(s.lat)-1)]
}

// heldJob is one job uploaded for the release phase.
type heldJob struct {
	id      string
	agent   *simAgent
	company company
}

// releaseRound uploads n held jobs through randomly chosen agents' tunnels
// (not measured), then releases each with the company's API token at a
// randomly chosen relay, concurrency at a time, and measures each round
// trip: API call, relay (and, with replicas, the hop to the replica that
// holds the tunnel), the agent fetching the document, the answer.
func releaseRound(ctx context.Context, fx *fixture, relays []*relayProc, agents []*simAgent, n, concurrency int, stat *releaseStats) error {
	doc := []byte("%PDF-1.7 bench document " + strings.Repeat("x", 4096))
	jobs := make([]heldJob, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range jobs {
		a := agents[rand.IntN(len(agents))]
		jobs[i] = heldJob{id: randomID(), agent: a, company: fx.companies[a.creds.company]}
		g.Go(func() error { return a.upload(gctx, jobs[i].id, jobs[i].company.userID, doc) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("upload held jobs: %w", err)
	}

	clients := make([]*http.Client, len(relays))
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(fx.fingerprint), MaxIdleConnsPerHost: concurrency}}
	}
	work := make(chan heldJob)
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for j := range work {
				r := rand.IntN(len(relays))
				t := time.Now()
				err := release(ctx, clients[r], relays[r].url, j)
				stat.add(time.Since(t), err, r != j.agent.replica)
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	stat.wall = time.Since(start)
	slices.Sort(stat.lat)
	for _, c := range clients {
		c.CloseIdleConnections()
	}
	return nil
}

func release(ctx context.Context, c *http.Client, base string, j heldJob) error {
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	body := []byte(`{"printer_id":"` + j.company.printerID + `"}`)
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/jobs/"+j.id+"/release", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+j.company.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("release: %d %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}
