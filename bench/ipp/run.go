package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/ipp"
)

type config struct {
	jobs, clients, size int
	cupsd, lpadmin      string
	transport           string // ipp, ipps or both
	rounds              int
	dirtyClean          int // cupsd's DirtyCleanInterval
	plain, keep         bool
}

// transports is which runs of the agent to make: true for IPPS.
func (c config) transports() []bool {
	switch c.transport {
	case "ipp":
		return []bool{false}
	case "ipps":
		return []bool{true}
	}
	return []bool{false, true}
}

func run(ctx context.Context, cfg config, log *slog.Logger, out io.Writer) error {
	dir, err := os.MkdirTemp("", "edgeprint-bench-ipp-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintln(out, "work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	pdf := makePDF(cfg.size)
	fmt.Fprintf(out, "%d Print-Jobs of a %d-byte PDF from %d concurrent clients, each server on 127.0.0.1\n", cfg.jobs, len(pdf), cfg.clients)

	// Rounds alternate the servers, so that a burst of load from the rest
	// of the machine hits both; the summary takes the median of each.
	byName := map[string][]result{}
	var names []string
	add := func(r result) {
		if _, ok := byName[r.name]; !ok {
			names = append(names, r.name)
		}
		byName[r.name] = append(byName[r.name], r)
		fmt.Fprintln(out, r)
	}
	for round := range cfg.rounds {
		for _, tls := range cfg.transports() {
			c := cfg
			c.plain = !tls
			res, err := benchAgent(ctx, c, filepath.Join(dir, fmt.Sprintf("agent-%t-%d", tls, round)), pdf, log)
			if err != nil {
				return err
			}
			add(res)
		}
		if cfg.cupsd != "" {
			res, err := benchCupsd(ctx, cfg, filepath.Join(dir, fmt.Sprintf("cupsd-%d", round)), pdf)
			if err != nil {
				return err
			}
			add(res)
		}
	}
	fmt.Fprintf(out, "\nmedian of %d rounds:\n", cfg.rounds)
	medians := map[string]result{}
	for _, n := range names {
		m := median(byName[n])
		medians[n] = m
		fmt.Fprintln(out, m)
	}
	if c, ok := medians["cupsd"]; ok {
		for _, n := range names {
			if n != "cupsd" {
				fmt.Fprintf(out, "%s / cupsd = %.2f\n", n, medians[n].rate()/c.rate())
			}
		}
	}
	return nil
}

// median is the run with the median rate (its latencies with it).
func median(rs []result) result {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b result) int { return cmp.Compare(a.rate(), b.rate()) })
	return rs[len(rs)/2]
}

// stubAuth accepts bench/bench: the benchmark measures the queue and the
// spool, not the relay round trip.
type stubAuth struct{}

func (stubAuth) Authenticate(_ context.Context, user, pass string) (ipp.User, error) {
	if user == "bench" && pass == "bench" {
		return ipp.User{ID: "u-bench", Email: "bench@example.com", Name: "Bench"}, nil
	}
	return ipp.User{}, ipp.ErrUnauthorized
}

// benchAgent serves the real queue (ipp.Server) over the real spool
// (agent.OpenSpool: encrypted documents, fsync, bbolt, group commit) and
// loads it; then it checks every acknowledged job is in the spool.
func benchAgent(ctx context.Context, cfg config, dir string, pdf []byte, log *slog.Logger) (result, error) {
	sp, err := agent.OpenSpool(dir, log)
	if err != nil {
		return result{}, err
	}
	defer sp.Close()
	cert, err := certs.LoadOrCreate("", "", filepath.Join(dir, "tls"), "bench", []string{"127.0.0.1"})
	if err != nil {
		return result{}, err
	}
	srv := ipp.NewServer(ipp.Config{
		Name: "Bench Secure Print", UUID: "0d4c9d3c-4a8e-4c55-9d5c-6f1d2a3b4c5d",
		Jobs: ipp.NewMemoryJobs(cfg.jobs + 100),
	}, stubAuth{}, sp, log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- ipp.Serve(sctx, ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, srv, log)
	}()
	defer func() { cancel(); <-served }()

	scheme := "https"
	if cfg.plain {
		scheme = "http"
	}
	url := scheme + "://" + ln.Addr().String() + "/ipp/print"
	body, err := printJobBody("ipps://"+ln.Addr().String()+"/ipp/print", pdf)
	if err != nil {
		return result{}, err
	}
	name := "agent(ipps)"
	if cfg.plain {
		name = "agent(ipp)"
	}
	res, err := load(ctx, name, url, "bench", "bench", body, cfg.jobs, cfg.clients)
	if err != nil {
		return res, err
	}
	n, err := sp.Count()
	if err != nil {
		return res, err
	}
	if n != res.jobs {
		return res, fmt.Errorf("agent acknowledged %d jobs and holds %d", res.jobs, n)
	}
	return res, nil
}

const cupsdConf = `Listen 127.0.0.1:%d
DirtyCleanInterval %d
LogLevel warn
MaxJobs 0
MaxJobsPerUser 0
MaxJobsPerPrinter 0
MaxClients 1000
MaxRequestSize 0
PreserveJobHistory No
DefaultAuthType None
Browsing Off
WebInterface No
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`

const cupsFilesConf = `ServerRoot %[1]s
RequestRoot %[1]s/spool
TempDir %[1]s/tmp
CacheDir %[1]s/cache
StateDir %[1]s/state
ErrorLog %[1]s/error_log
AccessLog %[1]s/access_log
PageLog %[1]s/page_log
SyncOnClose Yes
FileDevice Yes
`

// benchCupsd runs Debian's cupsd with its own configuration (SyncOnClose
// Yes, so it fsyncs job files too) and a raw queue whose jobs are held
// (job-hold-until-default=indefinite), loads it, and checks every
// acknowledged job's document is in its spool.
func benchCupsd(ctx context.Context, cfg config, dir string, pdf []byte) (result, error) {
	for _, d := range []string{"spool", "tmp", "cache", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return result{}, err
		}
	}
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cupsd.conf"), fmt.Appendf(nil, cupsdConf, port, cfg.dirtyClean), 0o644); err != nil {
		return result{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cups-files.conf"), fmt.Appendf(nil, cupsFilesConf, dir), 0o644); err != nil {
		return result{}, err
	}
	cmd := exec.Command(cfg.cupsd, "-f", "-c", filepath.Join(dir, "cupsd.conf"), "-s", filepath.Join(dir, "cups-files.conf"))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return result{}, fmt.Errorf("start cupsd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitListening(ctx, addr, exited); err != nil {
		return result{}, fmt.Errorf("cupsd: %w (see %s/error_log)", err, dir)
	}
	lp := exec.CommandContext(ctx, cfg.lpadmin, "-h", addr, "-p", "bench", "-v", "file:///dev/null", "-E",
		"-o", "job-hold-until-default=indefinite")
	if out, err := lp.CombinedOutput(); err != nil {
		return result{}, fmt.Errorf("lpadmin: %v: %s", err, out)
	}
	body, err := printJobBody("ipp://"+addr+"/printers/bench", pdf)
	if err != nil {
		return result{}, err
	}
	res, err := load(ctx, "cupsd", "http://"+addr+"/printers/bench", "", "", body, cfg.jobs, cfg.clients)
	if err != nil {
		return res, err
	}
	docs, _ := filepath.Glob(filepath.Join(dir, "spool", "d*"))
	if len(docs) != res.jobs {
		return res, fmt.Errorf("cupsd acknowledged %d jobs and holds %d documents", res.jobs, len(docs))
	}
	return res, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(ctx context.Context, addr string, exited <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not listening after 15s: " + strings.TrimSpace(addr))
}
