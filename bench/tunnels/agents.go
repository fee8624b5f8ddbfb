package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/edgeprint/edgeprint/bench/internal/simagent"
)

// dialTimeout bounds one tunnel handshake and the first request on it.
const dialTimeout = time.Minute

// simAgent is a simulated agent (package simagent) and what the bench
// knows of it.
type simAgent struct {
	*simagent.Agent
	creds   agentCreds
	replica int
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
	ag, err := simagent.Dial(ctx, base, pin, a.creds.id, a.creds.secret, a.creds.machine, a.printed)
	if err != nil {
		return err
	}
	a.Agent = ag
	return nil
}

func (a *simAgent) close() {
	if a.Agent != nil {
		a.Close()
	}
}

// printed counts what a release downloaded, and a release of a job this
// agent did not upload as misrouted.
func (a *simAgent) printed(jobID string, n int64) {
	if _, ok := a.jobs.Load(jobID); !ok {
		a.stat.misrouted.Add(1)
	}
	a.stat.downloaded.Add(n)
}

// upload stores a held job through the tunnel and remembers it as this
// agent's.
func (a *simAgent) upload(ctx context.Context, jobID, userID string, doc []byte) error {
	if err := a.Upload(ctx, jobID, userID, doc); err != nil {
		return err
	}
	a.jobs.Store(jobID, true)
	return nil
}
