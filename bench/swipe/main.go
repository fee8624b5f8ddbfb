// Command swipe measures badge release latency: swipe → first byte at a
// loopback printer for a job on the agent's local spool, and, in the same
// run, CUPS's Release-Job → first byte for the same document on a raw
// socket queue. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"
)

type options struct {
	users, jobsPerUser, docSize int
	samples, cupsSamples        int
	warmup                      int
	gap                         time.Duration
	dir                         string
	cups                        bool
	requireCUPS                 bool // a CUPS failure is an error, not a note
	verbose                     bool
}

func main() {
	var o options
	flag.IntVar(&o.users, "users", 1000, "users with held jobs")
	flag.IntVar(&o.jobsPerUser, "jobs-per-user", 10, "held jobs per user")
	flag.IntVar(&o.docSize, "doc-size", 4096, "document size in bytes")
	flag.IntVar(&o.samples, "samples", 300, "swipes measured (each releases one user's jobs)")
	flag.IntVar(&o.warmup, "warmup", 20, "swipes before measuring")
	flag.DurationVar(&o.gap, "gap", 20*time.Millisecond, "pause between samples, so one release's bookkeeping (fsyncs) does not overlap the next")
	flag.IntVar(&o.cupsSamples, "cups-samples", 100, "CUPS Release-Job requests measured")
	flag.StringVar(&o.dir, "dir", "", "working directory (default: a new temporary one, removed after)")
	flag.BoolVar(&o.cups, "cups", true, "also measure CUPS (needs cupsd, lpadmin, lp)")
	flag.BoolVar(&o.verbose, "v", false, "log the agent at info level")
	flag.Parse()
	if o.samples+o.warmup > o.users {
		fmt.Fprintln(os.Stderr, "swipe: -samples + -warmup must not exceed -users")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "swipe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "edgeprint-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	level := slog.LevelWarn + 100 // silent
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	doc := document(o.docSize)

	fmt.Printf("seeding %d held jobs from %d users (%d-byte documents)...\n", o.users*o.jobsPerUser, o.users, o.docSize)
	start := time.Now()
	ep, err := benchEdgeprint(ctx, o, dir, doc, logger, func() {
		fmt.Printf("seeded in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if err != nil {
		return fmt.Errorf("edgeprint: %w", err)
	}
	report("edgeprint swipe → first byte (local spool)", ep)

	if !o.cups {
		return nil
	}
	cu, err := benchCUPS(ctx, o, doc)
	if err != nil {
		if o.requireCUPS {
			return fmt.Errorf("cups: %w", err)
		}
		fmt.Printf("\nCUPS not measured: %v\n", err)
		return nil
	}
	report("CUPS Release-Job → first byte (raw socket queue)", cu)
	fmt.Printf("\nratio CUPS/edgeprint: p50 %.1f×, p90 %.1f×, p99 %.1f×\n",
		ratio(cu, ep, 50), ratio(cu, ep, 90), ratio(cu, ep, 99))
	return nil
}

// document is the same bytes for both systems: a small PDF-like payload.
func document(n int) []byte {
	b := make([]byte, n)
	copy(b, "%PDF-1.4\n% edgeprint swipe benchmark\n")
	for i := 40; i < n; i++ {
		b[i] = byte('a' + i%26)
	}
	return b
}
