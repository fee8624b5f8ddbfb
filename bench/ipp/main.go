// Command ipp measures how many Print-Jobs a second the agent's queue
// makes durable, against cupsd on the same machine doing the same: see
// README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.jobs, "n", 1000, "Print-Jobs to send to each server")
	flag.IntVar(&cfg.clients, "c", 16, "concurrent clients")
	flag.IntVar(&cfg.size, "size", 110_000, "PDF size in bytes")
	flag.StringVar(&cfg.cupsd, "cupsd", "/usr/sbin/cupsd", "cupsd binary; empty skips cupsd")
	flag.StringVar(&cfg.lpadmin, "lpadmin", "/usr/sbin/lpadmin", "lpadmin binary")
	flag.StringVar(&cfg.transport, "agent", "both", "how to reach the agent: ipp (plain, from loopback, as cupsd is reached), ipps (TLS), or both")
	flag.IntVar(&cfg.dirtyClean, "cupsd-dirty-clean", 30, "cupsd's DirtyCleanInterval in seconds: 30 (CUPS's default) lets it write job files after answering; 0 writes them at once")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds; each runs every server once, the summary is the median")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/ipp:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(ctx, cfg, log, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ipp:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
