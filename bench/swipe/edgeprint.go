package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/cardreader"
	"github.com/edgeprint/edgeprint/docstore"
)

const (
	jobTimeout  = 10 * time.Second
	readerAddr  = "127.0.0.1"
	seedWorkers = 4
)

func cardOf(user int) string { return fmt.Sprintf("C0DE%06X", user) }

// seed fills the agent's real spool (encrypted documents, bbolt records)
// and its card cache, as a site whose users printed and were seen before.
func seed(dir string, o options, doc []byte, printerPort int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := agent.OpenStore(filepath.Join(dir, "agent.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	docs, err := docstore.Open(filepath.Join(dir, "spool"))
	if err != nil {
		return err
	}
	sc := agent.SiteConfig{
		Printers: []agent.Printer{{ID: "p1", Name: "bench printer", Address: "127.0.0.1", Port: printerPort, Protocol: "raw9100", Enabled: true}},
		Readers:  []agent.Reader{{ID: "r1", Model: cardreader.ElatecTCPConv, Address: readerAddr, PrinterID: "p1"}},
	}
	if err := st.SaveSiteConfig(sc); err != nil {
		return err
	}
	users := make(chan int)
	errs := make(chan error, seedWorkers)
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range users {
				user := agent.User{ID: fmt.Sprintf("user%04d", u), Email: fmt.Sprintf("user%04d@bench.example", u)}
				if err := st.CacheCardAt(cardOf(u), user, time.Now()); err != nil {
					errs <- err
					return
				}
				for j := range o.jobsPerUser {
					id := fmt.Sprintf("%08x%08x%016x", u, j, time.Now().UnixNano())
					key, size, err := docs.Write(id, bytes.NewReader(doc))
					if err != nil {
						errs <- err
						return
					}
					rec := &agent.JobRecord{ID: id, User: user, Name: fmt.Sprintf("doc %d", j), Format: "application/pdf",
						Size: size, Created: time.Now(), Key: key}
					if err := st.AddJob(rec); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for u := range o.users {
		select {
		case users <- u:
		case err := <-errs:
			close(users)
			wg.Wait()
			return err
		}
	}
	close(users)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

// benchEdgeprint runs a real agent on the seeded spool and swipes badges
// over a TCP reader connection. The relay is away: the fast path (card
// confirmed within the trust window, jobs on the local spool) never waits
// for it, whether it is there or not.
func benchEdgeprint(ctx context.Context, o options, dir string, doc []byte, logger *slog.Logger, seeded func()) ([]time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p, err := listenPrinter()
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() { defer wg.Done(); p.serve(ctx) }()

	agentDir := filepath.Join(dir, "agent")
	if err := seed(agentDir, o, doc, p.port()); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	seeded()
	if err := (agent.Identity{AgentID: "bench", Secret: "bench", RelayURL: "http://127.0.0.1:1"}).Save(agentDir); err != nil {
		return nil, err
	}
	cfg := agent.DefaultConfig()
	cfg.Discovery.Disabled = true // never sweep the host's networks from a benchmark
	cfg.DataDir = agentDir
	cfg.Site = "Bench"
	cfg.Admin.Listen = "127.0.0.1:0"
	cfg.IPP.Listen = "127.0.0.1:0"
	cfg.CardReaders = agent.ReadersConfig{ElatecTCPConv: "127.0.0.1:0", ElatecTCPConv2: agent.Off, RFIDeas241: agent.Off}
	a, err := agent.New(cfg, "bench", logger)
	if err != nil {
		return nil, err
	}
	wg.Add(1)
	go func() { defer wg.Done(); a.Run(ctx) }()

	conn, err := net.Dial("tcp", a.ReaderAddr(cardreader.ElatecTCPConv))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var out []time.Duration
	for i := range o.warmup + o.samples {
		t0 := time.Now()
		if _, err := fmt.Fprintf(conn, "%s\r\n", cardOf(i)); err != nil {
			return nil, err
		}
		first, err := p.next(ctx, jobTimeout)
		if err != nil {
			return nil, fmt.Errorf("swipe %d: %w", i, err)
		}
		if i >= o.warmup {
			out = append(out, first.Sub(t0))
		}
		// Let the user's jobs all come out before the next swipe.
		if err := p.finished(ctx, o.jobsPerUser, jobTimeout); err != nil {
			return nil, fmt.Errorf("swipe %d: %w", i, err)
		}
		for range o.jobsPerUser - 1 {
			if _, err := p.next(ctx, jobTimeout); err != nil {
				return nil, err
			}
		}
		time.Sleep(o.gap)
	}
	return out, nil
}
