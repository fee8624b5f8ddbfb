// Package lpdtest runs a real LPD server for tests: Debian's LPRng lpd on a
// loopback port, with its own configuration, printcap, permissions and
// spool directories in the test's temporary directory. Every queue prints
// with no filter to a file, so what reaches the "printer" can be compared
// byte for byte. .ci/lprng.sh extracts lprng to /opt/lprng; EDGEPRINT_LPD
// names another lpd. Without one, tests skip, and fail when CI is set.
package lpdtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lpdSearch is where .ci/lprng.sh extracts Debian's lprng; EDGEPRINT_LPD
// names another lpd binary.
var lpdSearch = []string{
	"/opt/lprng/usr/sbin/lpd",
	filepath.Join(os.Getenv("HOME"), ".cache/edgeprint/lprng/usr/sbin/lpd"),
}

// lpdConfigPath is the configuration path compiled into LPRng's lpd. It has
// no flag for another one (LPD_CONF is ignored when running as root), so
// the test runs a copy whose path is rewritten to "./lpd.conf", in the
// test's own directory. Nothing else of the binary changes.
const lpdConfigPath = "=/etc/lprng/lpd.conf\x00"

// Server is a running lpd.
type Server struct {
	Addr string // 127.0.0.1:port
	dir  string
}

func findLPD(t testing.TB) string {
	t.Helper()
	paths := lpdSearch
	if p := os.Getenv("EDGEPRINT_LPD"); p != "" {
		paths = []string{p}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("lpd not found in %v: run .ci/lprng.sh", paths)
	}
	t.Skipf("lpd not found in %v: run .ci/lprng.sh (Debian lprng, extracted)", paths)
	return ""
}

// Start runs lpd with the named queues until the test ends.
func Start(t testing.TB, queues ...string) *Server {
	t.Helper()
	bin := findLPD(t)
	dir := t.TempDir()
	orig, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(orig, []byte(lpdConfigPath)) != 1 {
		t.Fatalf("%s: configuration path %q not found once; not Debian's LPRng 3.8?", bin, lpdConfigPath)
	}
	repl := []byte("=./lpd.conf\x00")
	repl = append(repl, make([]byte, len(lpdConfigPath)-len(repl))...)
	lpd := filepath.Join(dir, "lpd")
	if err := os.WriteFile(lpd, bytes.Replace(orig, []byte(lpdConfigPath), repl, 1), 0o755); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	var printcap strings.Builder
	for _, q := range queues {
		sd, out := filepath.Join(dir, "spool", q), filepath.Join(dir, "out", q)
		for _, d := range []string{sd, filepath.Dir(out)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(out, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// sh: no banner; sf: no form feed between files; mx=0: no size limit.
		fmt.Fprintf(&printcap, "%s:sd=%s:lp=%s:sh:sf:mx=0\n", q, sd, out)
	}
	files := map[string]string{
		"lpd.conf": fmt.Sprintf("lpd_listen_port=127.0.0.1%%%d\nlpd_port=%d\nunix_socket_path=off\n"+
			"printcap_path=%[3]s/printcap\nlpd_printcap_path=%[3]s/printcap\nperms_path=%[3]s/lpd.perms\n"+
			"lockfile=%[3]s/lpd.lock\nuser=root\ngroup=root\n", port, port, dir),
		"printcap":  printcap.String(),
		"lpd.perms": "DEFAULT ACCEPT\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logf, err := os.Create(filepath.Join(dir, "lpd.log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, lpd, "-F")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LPD_CONF=")
	cmd.Stdout, cmd.Stderr = logf, logf
	// lpd forks a server that detaches into its own session: SIGTERM lets
	// lpd stop it; SIGKILL would leave it running.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		killStragglers(t, lpd)
		logf.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("lpd log:\n%s", tail(log, 4000))
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("lpd did not listen on %s: %v\n%s", addr, err, tail(log, 4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Server{Addr: addr, dir: dir}
}

// Printed waits until queue's output has want bytes and returns it.
func (s *Server) Printed(t testing.TB, queue string, want int) []byte {
	t.Helper()
	path := filepath.Join(s.dir, "out", queue)
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := os.Stat(path)
		if err == nil && info.Size() >= int64(want) {
			time.Sleep(50 * time.Millisecond) // a longer job would show here
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s printed %v bytes, want %d", queue, info.Size(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// JobInfo reads what LPRng recorded about the queue's jobs (its hold file:
// one key=value a line, including the control file's lines and the client's
// source port).
func (s *Server) JobInfo(t testing.TB, queue string) map[string]string {
	t.Helper()
	holds, _ := filepath.Glob(filepath.Join(s.dir, "spool", queue, "hfA*"))
	if len(holds) != 1 {
		t.Fatalf("queue %s has %d hold files, want 1", queue, len(holds))
	}
	f, err := os.Open(holds[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			info[k] = v
		}
	}
	return info
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
