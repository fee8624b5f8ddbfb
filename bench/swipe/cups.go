package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/OpenPrinting/goipp"
)

const (
	cupsStartTimeout = 10 * time.Second
	// jobStateCompleted and friends are IPP job-state values.
	jobStateCompleted = 9
)

// benchCUPS runs a private cupsd (own config dir and port) with a raw
// socket queue to a loopback printer, holds jobs of the same document with
// `lp -H hold`, and times IPP Release-Job → first byte at the printer.
func benchCUPS(ctx context.Context, o options, doc []byte) ([]time.Duration, error) {
	for _, bin := range []string{"cupsd", "lpadmin", "lp"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%s not found (Debian cups): %w", bin, err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Under the system temp dir, not the working dir: cupsd's lp user must
	// reach the spool, and the working dir's ancestors may be private.
	root, err := os.MkdirTemp("", "edgeprint-bench-cups-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := writeCUPSConfig(root, port); err != nil {
		return nil, err
	}
	cupsd := exec.CommandContext(ctx, "cupsd", "-f", "-c", filepath.Join(root, "cupsd.conf"), "-s", filepath.Join(root, "cups-files.conf"))
	var cupsLog bytes.Buffer
	cupsd.Stdout, cupsd.Stderr = &cupsLog, &cupsLog
	if err := cupsd.Start(); err != nil {
		return nil, fmt.Errorf("start cupsd: %w", err)
	}
	defer func() { cancel(); cupsd.Wait() }()
	host := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitPort(ctx, host, cupsStartTimeout); err != nil {
		errLog, _ := os.ReadFile(filepath.Join(root, "log", "error_log"))
		return nil, fmt.Errorf("cupsd did not start: %w\n%s%s", err, cupsLog.String(), errLog)
	}

	p, err := listenPrinter()
	if err != nil {
		return nil, err
	}
	pctx, pcancel := context.WithCancel(ctx)
	pdone := make(chan struct{})
	go func() { p.serve(pctx); close(pdone) }()
	defer func() { pcancel(); <-pdone }()

	if out, err := exec.CommandContext(ctx, "lpadmin", "-h", host, "-p", "bench", "-E",
		"-v", fmt.Sprintf("socket://127.0.0.1:%d", p.port())).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("lpadmin: %v: %s", err, out)
	}
	docPath := filepath.Join(root, "doc.pdf")
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		return nil, err
	}
	total := o.cupsSamples + 5 // a few to warm up
	ids := make([]int, 0, total)
	reqID := regexp.MustCompile(`request id is bench-(\d+)`)
	for range total {
		out, err := exec.CommandContext(ctx, "lp", "-h", host, "-d", "bench", "-H", "hold", "-o", "raw", docPath).CombinedOutput()
		m := reqID.FindSubmatch(out)
		if err != nil || m == nil {
			return nil, fmt.Errorf("lp: %v: %s", err, out)
		}
		id, _ := strconv.Atoi(string(m[1]))
		ids = append(ids, id)
	}

	client := &http.Client{Timeout: jobTimeout}
	var out []time.Duration
	for i, id := range ids {
		jobURI := fmt.Sprintf("ipp://%s/jobs/%d", host, id)
		t0 := time.Now()
		if err := ippCall(ctx, client, host, goipp.OpReleaseJob, jobURI, nil); err != nil {
			return nil, fmt.Errorf("Release-Job %d: %w", id, err)
		}
		first, err := p.next(ctx, jobTimeout)
		if err != nil {
			return nil, fmt.Errorf("job %d: %w", id, err)
		}
		if i >= total-o.cupsSamples {
			out = append(out, first.Sub(t0))
		}
		if err := p.finished(ctx, 1, jobTimeout); err != nil {
			return nil, err
		}
		// The next release must not queue behind this job's backend.
		if err := waitJobDone(ctx, client, host, jobURI); err != nil {
			return nil, err
		}
		time.Sleep(o.gap)
	}
	return out, nil
}

func writeCUPSConfig(root string, port int) error {
	for _, d := range []string{"spool", "cache", "state", "tmp", "log", "ppd"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	// cupsd runs backends as User; as root it must be an unprivileged one.
	runAs := ""
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("lp"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			for _, d := range []string{"spool", "tmp"} {
				os.Chown(filepath.Join(root, d), uid, gid)
			}
			runAs = "User lp\nGroup lp\nSystemGroup root\n"
		}
	}
	files := fmt.Sprintf(`ServerRoot %[1]s
RequestRoot %[1]s/spool
CacheDir %[1]s/cache
StateDir %[1]s/state
TempDir %[1]s/tmp
ErrorLog %[1]s/log/error_log
AccessLog %[1]s/log/access_log
PageLog %[1]s/log/page_log
ServerBin /usr/lib/cups
DataDir /usr/share/cups
Sandboxing Relaxed
%[2]s`, root, runAs)
	conf := fmt.Sprintf(`Listen 127.0.0.1:%d
LogLevel warn
Browsing No
DefaultAuthType None
WebInterface No
MaxJobs 0
PreserveJobHistory No
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`, port)
	// lp must be able to reach the spool: make the benchmark's own
	// directory searchable (never anything above it).
	for _, d := range []string{root} {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o011 != 0o011 {
			os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "cups-files.conf"), []byte(files), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "cupsd.conf"), []byte(conf), 0o644)
}

// ippCall sends one IPP request about jobURI and returns the response's
// job attributes.
func ippCall(ctx context.Context, c *http.Client, host string, op goipp.Op, jobURI string, attrs []string) error {
	_, err := ippDo(ctx, c, host, op, jobURI, attrs)
	return err
}

func ippDo(ctx context.Context, c *http.Client, host string, op goipp.Op, jobURI string, attrs []string) (*goipp.Message, error) {
	m := goipp.NewRequest(goipp.DefaultVersion, op, 1)
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttribute("job-uri", goipp.TagURI, goipp.String(jobURI)))
	m.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String("root")))
	if len(attrs) > 0 {
		a := goipp.MakeAttribute("requested-attributes", goipp.TagKeyword, goipp.String(attrs[0]))
		for _, v := range attrs[1:] {
			a.Values.Add(goipp.TagKeyword, goipp.String(v))
		}
		m.Operation.Add(a)
	}
	body, err := m.EncodeBytes()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+host+"/jobs", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", goipp.ContentType)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	var r goipp.Message
	if err := r.DecodeBytes(data); err != nil {
		return nil, err
	}
	if goipp.Status(r.Code) >= 0x0100 {
		return nil, ippStatus(r.Code)
	}
	return &r, nil
}

// waitJobDone polls the job until CUPS calls it completed.
func waitJobDone(ctx context.Context, c *http.Client, host, jobURI string) error {
	deadline := time.Now().Add(jobTimeout)
	for time.Now().Before(deadline) {
		r, err := ippDo(ctx, c, host, goipp.OpGetJobAttributes, jobURI, []string{"job-state"})
		if errors.Is(err, ippStatus(goipp.StatusErrorNotFound)) {
			return nil // done and purged (PreserveJobHistory No)
		} else if err != nil {
			return err
		}
		for _, a := range r.Job {
			if a.Name == "job-state" && len(a.Values) > 0 {
				if v, ok := a.Values[0].V.(goipp.Integer); ok && int(v) >= jobStateCompleted-2 && int(v) != 5 {
					return nil // canceled (7), aborted (8) or completed (9)
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return errors.New("CUPS job did not complete")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ippStatus is an IPP error status as a Go error.
type ippStatus goipp.Code

func (s ippStatus) Error() string { return "IPP " + goipp.Status(s).String() }
