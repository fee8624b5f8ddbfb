// Command tunnels is the relay's tunnel benchmark: thousands of simulated
// agents hold one real tunnel each to a relay on the embedded store, then
// to three replicas on one PostgreSQL, and the relay's memory per tunnel
// and the latency of releases through the tunnels are reported. See
// README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

type options struct {
	agents, companies, releases, concurrency, dialers, replicas int
	mode                                                        string
	settle                                                      time.Duration
	keep                                                        bool
}

func main() {
	var o options
	flag.IntVar(&o.agents, "agents", 10000, "simulated agents, one tunnel each")
	flag.IntVar(&o.companies, "companies", 100, "companies the agents belong to (evenly)")
	flag.IntVar(&o.releases, "releases", 2000, "releases measured per mode")
	flag.IntVar(&o.concurrency, "concurrency", 16, "releases in flight at once")
	flag.IntVar(&o.dialers, "dialers", 32, "tunnels being opened at once")
	flag.IntVar(&o.replicas, "replicas", 3, "relay replicas on PostgreSQL in the replicas mode")
	flag.StringVar(&o.mode, "mode", "all", `"single" (one relay, embedded store), "replicas" (PostgreSQL) or "all"`)
	flag.DurationVar(&o.settle, "settle", 5*time.Second, "wait before reading memory, for the relays to go idle")
	flag.BoolVar(&o.keep, "keep", false, "keep the work dir (data dirs, relay logs)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "tunnels bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.agents < 1 || o.companies < 1 || o.companies > o.agents || o.releases < 1 || o.concurrency < 1 || o.dialers < 1 || o.replicas < 1 {
		return errors.New("need agents ≥ companies ≥ 1 and releases, concurrency, dialers, replicas ≥ 1")
	}
	if runtime.GOOS != "linux" {
		return errors.New("linux only: memory is read from /proc")
	}
	limit, err := raiseNofile()
	if err != nil {
		return err
	}
	// Each tunnel is a descriptor in this process and one in a relay.
	if need := uint64(o.agents) + 1000; limit < need {
		return fmt.Errorf("RLIMIT_NOFILE hard limit %d is under the %d descriptors %d tunnels need: raise it (ulimit -Hn) or lower -agents", limit, need, o.agents)
	}
	work, err := os.MkdirTemp("", "edgeprint-tunnels-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("work dir:", work)
	} else {
		defer os.RemoveAll(work)
	}
	fmt.Printf("%d agents in %d companies, %d releases per mode, %d at once; %d CPUs, RLIMIT_NOFILE %d\n",
		o.agents, o.companies, o.releases, o.concurrency, runtime.NumCPU(), limit)
	bin, err := buildRelay(ctx, work)
	if err != nil {
		return err
	}
	t0 := time.Now()
	fx, err := seedDataDir(ctx, filepath.Join(work, "seed"), o.agents, o.companies)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d companies and %d agents in %v\n", o.companies, o.agents, time.Since(t0).Round(time.Millisecond))

	var results []result
	if o.mode == "replicas" || o.mode == "all" {
		r, err := runReplicas(ctx, o, bin, work, fx)
		if err != nil {
			return fmt.Errorf("replicas mode: %w", err)
		}
		results = append(results, r)
	}
	if o.mode == "single" || o.mode == "all" {
		r, err := runMode(ctx, o, "1 relay, embedded store", bin, work, fx, []string{fx.dir})
		if err != nil {
			return fmt.Errorf("single mode: %w", err)
		}
		results = append([]result{r}, results...)
	}
	printTable(o, results)
	return nil
}

// raiseNofile raises the soft descriptor limit to the hard one; the relay
// processes inherit it.
func raiseNofile() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Max, nil
}
