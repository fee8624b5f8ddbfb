package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds a relay's start (migrations, certificate).
	readyTimeout = time.Minute
	// stopTimeout bounds a relay's drain after SIGTERM.
	stopTimeout = 30 * time.Second
)

// buildRelay builds the edgeprint binary into dir once: every relay runs
// as its own process, so its memory is its own.
func buildRelay(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "edgeprint")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/edgeprint/edgeprint/cmd/edgeprint")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build edgeprint: %w", err)
	}
	return bin, nil
}

// relayProc is one relay process on loopback.
type relayProc struct {
	cmd     *exec.Cmd
	url     string // https://127.0.0.1:port
	admin   string // http://127.0.0.1:port
	logPath string
	exited  chan error
}

func startRelay(bin, dataDir, logPath string) (*relayProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	adminPort, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "relay", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dataDir,
		"--admin-listen", fmt.Sprintf("127.0.0.1:%d", adminPort), "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	// A bench killed midway takes its relays with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &relayProc{cmd: cmd, url: fmt.Sprintf("https://127.0.0.1:%d", port), admin: fmt.Sprintf("http://127.0.0.1:%d", adminPort),
		logPath: logPath, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	if err := p.waitReady(); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// waitReady waits for /healthz on the admin listener.
func (p *relayProc) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-p.exited:
			p.exited <- err
			return fmt.Errorf("relay exited: %v\n%s", err, tail(p.logPath))
		default:
		}
		if resp, err := c.Get(p.admin + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("relay not ready after %v\n%s", readyTimeout, tail(p.logPath))
}

// stop sends SIGTERM and waits, killing the relay if it does not drain.
func (p *relayProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *relayProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// rss is the process's resident set (VmRSS) in bytes.
func (p *relayProc) rss() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// metric reads one value from the relay's /metrics.
func (p *relayProc) metric(name string) (float64, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(p.admin + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("no metric %s", name)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
