package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// result is one mode's figures.
type result struct {
	name                  string
	relays, tunnels       int
	rssBefore, rssAfter   int64 // summed over the relays
	heapBefore, heapAfter float64
	heapOK                bool
	goroutines            float64
	connect               time.Duration
	stat                  *releaseStats
}

// runMode starts one relay per data dir, connects every agent (spread over
// the relays), reads the relays' memory, runs the releases and stops.
func runMode(ctx context.Context, o options, name, bin, work string, fx *fixture, dirs []string) (result, error) {
	res := result{name: name, relays: len(dirs), tunnels: len(fx.agents), stat: &releaseStats{}, heapOK: true}
	fmt.Printf("\n== %s ==\n", name)
	var relays []*relayProc
	var agents []*simAgent
	// Kill, not drain: what was to measure is measured, and a relay that
	// drains 10,000 tunnels writes every agent's last-seen time first.
	defer func() {
		t0 := time.Now()
		for _, r := range relays {
			r.kill()
		}
		closeAll(agents)
		fmt.Printf("stopped in %v\n", time.Since(t0).Round(time.Millisecond))
	}()
	for i, dir := range dirs {
		r, err := startRelay(bin, dir, filepath.Join(work, fmt.Sprintf("%s-relay-%d.log", filepath.Base(dir), i)))
		if err != nil {
			return res, err
		}
		relays = append(relays, r)
		fmt.Printf("relay %d: %s (pid %d)\n", i, r.url, r.cmd.Process.Pid)
	}
	time.Sleep(o.settle)
	before, err := readMemory(relays)
	if err != nil {
		return res, err
	}
	res.rssBefore, res.heapBefore = before.rss, before.heap
	res.heapOK = before.heapOK

	fmt.Printf("connecting %d tunnels, %d at a time\n", len(fx.agents), o.dialers)
	t0 := time.Now()
	agents, err = connectAll(ctx, fx, relays, o.dialers, res.stat)
	if err != nil {
		return res, err
	}
	res.connect = time.Since(t0)
	fmt.Printf("%d tunnels open in %v\n", len(agents), res.connect.Round(time.Millisecond))
	time.Sleep(o.settle)
	after, err := readMemory(relays)
	if err != nil {
		return res, err
	}
	res.rssAfter, res.heapAfter, res.goroutines = after.rss, after.heap, after.goroutines
	res.heapOK = res.heapOK && after.heapOK
	fmt.Printf("relay RSS %s → %s, Go heap in use %s → %s, %.0f goroutines\n", mib(res.rssBefore), mib(res.rssAfter),
		mib(int64(res.heapBefore)), mib(int64(res.heapAfter)), res.goroutines)

	fmt.Printf("uploading %d held jobs through random agents' tunnels, then releasing each at a random relay\n", o.releases)
	if err := releaseRound(ctx, fx, relays, agents, o.releases, o.concurrency, res.stat); err != nil {
		return res, err
	}
	s := res.stat
	fmt.Printf("%d releases (%d issued at a relay other than the agent's) in %v: p50 %v, p99 %v, max %v; %d failed, %d reached the wrong agent\n",
		len(s.lat), s.crossed, s.wall.Round(time.Millisecond), s.pct(50).Round(100*time.Microsecond), s.pct(99).Round(100*time.Microsecond), s.pct(100).Round(100*time.Microsecond), s.failed, s.misrouted.Load())
	if s.firstErr != "" {
		fmt.Printf("first failure: %s\n", s.firstErr)
	}
	return res, nil
}

type memory struct {
	rss              int64
	heap, goroutines float64
	heapOK           bool
}

// readMemory sums the relays' resident sets and Go heaps in use.
func readMemory(relays []*relayProc) (memory, error) {
	m := memory{heapOK: true}
	for _, r := range relays {
		rss, err := r.rss()
		if err != nil {
			return m, err
		}
		m.rss += rss
		heap, err := r.metric("go_memstats_heap_inuse_bytes")
		if err != nil {
			m.heapOK = false
		}
		m.heap += heap
		g, _ := r.metric("go_goroutines")
		m.goroutines += g
	}
	return m, nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func printTable(o options, results []result) {
	fmt.Printf("\n%-26s %7s %8s %10s %10s %10s %10s %9s %8s %8s %8s %6s %7s %6s\n",
		"mode", "tunnels", "conn/s", "RSS idle", "RSS full", "RSS/tun", "heap/tun", "releases", "p50", "p99", "max", "rel/s", "failed", "wrong")
	for _, r := range results {
		perRSS := float64(r.rssAfter-r.rssBefore) / float64(r.tunnels) / 1024
		heap := "n/a"
		if r.heapOK {
			heap = fmt.Sprintf("%.1f KiB", (r.heapAfter-r.heapBefore)/float64(r.tunnels)/1024)
		}
		s := r.stat
		rate := 0.0
		if s.wall > 0 {
			rate = float64(len(s.lat)) / s.wall.Seconds()
		}
		fmt.Printf("%-26s %7d %8.0f %10s %10s %6.1f KiB %10s %9d %8v %8v %8v %6.0f %7d %6d\n",
			r.name, r.tunnels, float64(r.tunnels)/r.connect.Seconds(), mib(r.rssBefore), mib(r.rssAfter), perRSS, heap, len(s.lat),
			s.pct(50).Round(100*time.Microsecond), s.pct(99).Round(100*time.Microsecond), s.pct(100).Round(100*time.Microsecond),
			rate, s.failed, s.misrouted.Load())
	}
	fmt.Println("RSS and heap are summed over a mode's relays; per tunnel = (with every tunnel − before any) / tunnels.")
	fmt.Println("Releases: POST /api/v1/jobs/{id}/release at a random relay, answered by the agent after it fetched the document; wrong = reached another agent.")
}
