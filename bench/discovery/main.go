// Command discovery benchmarks printer discovery: it puts simulated
// printers serving real SNMP captures on 127.0.1.1-254, sweeps
// 127.0.1.0/24 with edgeprint's snmp package and then with CUPS's SNMP
// backend, and prints wall time and printers found for each. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.walks, "walks", "", "directory of .snmprec captures with EXPECTED.tsv (default: $EDGEPRINT_SNMP_TESTDATA, else ../shared/testdata/snmp beside the repository)")
	flag.IntVar(&cfg.count, "n", 254, "printers to simulate, on 127.0.1.1 upwards (1-254)")
	flag.StringVar(&cfg.cupsBackend, "cups", "/usr/lib/cups/backend/snmp", "CUPS SNMP backend; empty skips the CUPS run")
	flag.DurationVar(&cfg.cupsMax, "cups-max", 120*time.Second, "MaxRunTime for the CUPS backend")
	flag.IntVar(&cfg.concurrency, "concurrency", 64, "edgeprint: addresses in flight")
	flag.Float64Var(&cfg.rate, "rate", 5000, "edgeprint: packets per second (<0 unlimited)")
	flag.DurationVar(&cfg.timeout, "timeout", time.Second, "edgeprint: per-request timeout")
	flag.StringVar(&cfg.cupsLog, "cups-log", "", "write the CUPS backend's debug log (DebugLevel 3) and output to this file")
	flag.StringVar(&cfg.sim, "sim", "go", "printer simulator: snmpsimd (one process, one capture, as CUPS was measured) or go (package snmprec, captures round robin)")
	flag.StringVar(&cfg.walk, "walk", "ricoh-aficio-mp-c3002", "-sim snmpsimd: the capture every address serves")
	flag.DurationVar(&cfg.latency, "latency", 10*time.Millisecond, "-sim go: each answer waits a random 0 to this long, like a printer's think time")
	verbose := flag.Bool("v", false, "log every printer")
	flag.Parse()
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/discovery:", err)
		os.Exit(1)
	}
}
