package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/snmp"
)

type config struct {
	walks       string
	count       int
	cupsBackend string
	cupsMax     time.Duration
	concurrency int
	rate        float64
	timeout     time.Duration
	cupsLog     string
	sim         string
	latency     time.Duration
	walk        string
}

type result struct {
	tool             string
	wall             time.Duration
	found, withModel int
	withModelSerial  int
	correct          int // model and serial equal to EXPECTED.tsv
	note             string
}

func run(ctx context.Context, cfg config, log *slog.Logger, out io.Writer) error {
	if cfg.count < 1 || cfg.count > 254 {
		return errors.New("-n must be 1 to 254")
	}
	dir, err := walksDir(cfg.walks)
	if err != nil {
		return err
	}
	walks, err := loadWalks(dir)
	if err != nil {
		return err
	}
	var s *site
	switch cfg.sim {
	case "go":
		if s, err = startSite(walks, cfg.count, cfg.latency, log); err != nil {
			return err
		}
		defer s.close()
		fmt.Fprintf(out, "%d simulated printers (package snmprec) on 127.0.1.1-%d:161 serving %d real captures round robin from %s, answer delay 0-%s\n\n",
			cfg.count, cfg.count, len(walks), dir, cfg.latency)
	case "snmpsimd":
		w, ok := findWalk(walks, cfg.walk)
		if !ok {
			return fmt.Errorf("-walk %q is not a capture with model, serial and MAC", cfg.walk)
		}
		if s, err = startListeners([]expected{w}, cfg.count); err != nil {
			return err
		}
		defer s.close()
		stopSim, err := startSnmpsimd(ctx, w, dir, cfg.count)
		if err != nil {
			return err
		}
		defer stopSim()
		fmt.Fprintf(out, "%d simulated printers: one snmpsimd on 127.0.1.1-%d:161 serving %s from %s\n\n",
			cfg.count, cfg.count, w.file, dir)
	default:
		return fmt.Errorf("-sim %q: want snmpsimd or go", cfg.sim)
	}

	ep, err := runEdgeprint(ctx, cfg, s, log)
	if err != nil {
		return err
	}
	results := []result{ep}
	if cfg.cupsBackend != "" {
		cu, err := runCUPS(ctx, cfg, s)
		if err != nil {
			fmt.Fprintf(out, "CUPS run failed: %v\n", err)
		} else {
			results = append(results, cu)
		}
	}
	fmt.Fprintf(out, "%-10s %10s %7s %11s %18s %9s\n", "tool", "wall", "found", "with model", "model and serial", "correct")
	for _, r := range results {
		fmt.Fprintf(out, "%-10s %10s %7d %11d %18d %9d  %s\n", r.tool, r.wall.Round(time.Millisecond), r.found, r.withModel, r.withModelSerial, r.correct, r.note)
	}
	if len(results) == 2 && ep.wall > 0 {
		fmt.Fprintf(out, "\nedgeprint is %.1fx faster than CUPS (%s vs %s)\n", float64(results[1].wall)/float64(ep.wall),
			ep.wall.Round(time.Millisecond), results[1].wall.Round(time.Millisecond))
	}
	return nil
}

func runEdgeprint(ctx context.Context, cfg config, s *site, log *slog.Logger) (result, error) {
	targets, err := snmp.ParseTargets([]string{"127.0.1.0/24"}, []snmp.Credential{{Community: "public"}})
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	printers, err := snmp.Sweep(ctx, targets, snmp.Options{
		Concurrency: cfg.concurrency, Rate: cfg.rate, Timeout: cfg.timeout, Logger: log,
	})
	wall := time.Since(start)
	if err != nil {
		return result{}, err
	}
	r := result{tool: "edgeprint", wall: wall, found: len(printers)}
	for _, p := range printers {
		log.Debug("edgeprint", "address", p.Address, "model", p.Model, "serial", p.Serial, "mac", p.MAC)
		if p.Model != "" {
			r.withModel++
		}
		if p.HasIdentity() {
			r.withModelSerial++
		}
		if w, ok := s.byAddr[p.Address]; ok && p.Serial == w.serial && p.MAC == w.mac && modelMatches(w.model, p.Manufacturer, p.Model) {
			r.correct++
		}
	}
	r.note = "correct = model, serial and MAC as in EXPECTED.tsv"
	return r, nil
}

var libreNMSMAC = regexp.MustCompile(` \[[0-9a-f]{12}\]$`)

func modelMatches(want, manufacturer, got string) bool {
	want = libreNMSMAC.ReplaceAllString(want, "")
	return strings.EqualFold(want, got) || strings.EqualFold(want, manufacturer+" "+got)
}

// cupsLine is one line of the backend's discovery output:
// class uri "make-and-model" "info" "device-id" "location"
var cupsLine = regexp.MustCompile(`^(\S+) (\S+) "([^"]*)" "([^"]*)" "([^"]*)"`)

var cupsHost = regexp.MustCompile(`://(127\.0\.1\.\d+)`)

func runCUPS(ctx context.Context, cfg config, s *site) (result, error) {
	if _, err := os.Stat(cfg.cupsBackend); err != nil {
		return result{}, fmt.Errorf("CUPS backend: %w", err)
	}
	root, err := os.MkdirTemp("", "edgeprint-bench-cups-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(root)
	var conf bytes.Buffer
	fmt.Fprintf(&conf, "Community public\nMaxRunTime %d\n", int(cfg.cupsMax.Seconds()))
	if cfg.cupsLog != "" {
		conf.WriteString("DebugLevel 3\n")
	}
	for i := 1; i <= cfg.count; i++ {
		fmt.Fprintf(&conf, "Address 127.0.1.%d\n", i)
	}
	if err := os.WriteFile(filepath.Join(root, "snmp.conf"), conf.Bytes(), 0o644); err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, cfg.cupsBackend)
	cmd.Env = append(os.Environ(), "CUPS_SERVERROOT="+root)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if cfg.cupsLog != "" {
		_ = os.WriteFile(cfg.cupsLog, append(stderr.Bytes(), stdout.Bytes()...), 0o644)
	}
	if err != nil {
		return result{}, fmt.Errorf("%s: %w: %s", cfg.cupsBackend, err, strings.TrimSpace(stderr.String()))
	}
	r := result{tool: "cups-snmp", wall: wall}
	seen := map[string]bool{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		m := cupsLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		h := cupsHost.FindStringSubmatch(m[2])
		if h == nil || seen[h[1]] {
			continue
		}
		seen[h[1]] = true
		r.found++
		model := strings.TrimSpace(m[3])
		if model != "" && !strings.EqualFold(model, "Unknown") {
			r.withModel++
		}
		// The backend prints no serial; count a serial only if the device ID has one.
		if id := m[5]; model != "" && (strings.Contains(id, "SN:") || strings.Contains(id, "SERN:")) {
			r.withModelSerial++
		}
		if w, ok := s.byAddr[h[1]]; ok && strings.Contains(strings.ToLower(model), strings.ToLower(libreNMSMAC.ReplaceAllString(w.model, ""))) {
			r.correct++
		}
	}
	r.note = "CUPS prints make-and-model, no serial; correct = model contains EXPECTED.tsv's"
	return r, nil
}

func walksDir(flagDir string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	if d := os.Getenv("EDGEPRINT_SNMP_TESTDATA"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "testdata", "snmp"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; pass -walks")
		}
		dir = parent
	}
}
