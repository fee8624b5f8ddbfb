package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeprint/edgeprint/docstore"
	"github.com/edgeprint/edgeprint/lpr/lpdtest"
	"github.com/edgeprint/edgeprint/printersim"
	"github.com/edgeprint/edgeprint/raw9100"
	"github.com/edgeprint/edgeprint/tunnel"
)

var alice = User{ID: "u-alice", Email: "alice@acme.example", Name: "Alice"}

type deliveryFixture struct {
	reg   *prometheus.Registry
	d     *deliverer
	store *Store
	docs  *docstore.Store
}

func newDeliveryFixture(t *testing.T, cfg DeliveryConfig) *deliveryFixture {
	t.Helper()
	dir := t.TempDir()
	store, err := OpenStore(filepath.Join(dir, "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	docs, err := docstore.Open(filepath.Join(dir, "spool"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	d := &deliverer{
		store: store, docs: docs, log: slog.New(slog.DiscardHandler), cfg: cfg, checker: alwaysReady{},
		fetch: func(context.Context, string) (io.ReadCloser, error) {
			return nil, errors.New("no relay in this test")
		},
		reported:    func() {},
		releases:    newMetrics(reg).releases,
		metrics:     newDeliveryMetrics(reg),
		host:        "agent-test",
		backoffBase: 10 * time.Millisecond, backoffMax: 50 * time.Millisecond,
		writeTimeout: time.Second, // short, yet long enough for a loaded 2-core CI machine
	}
	return &deliveryFixture{reg: reg, d: d, store: store, docs: docs}
}

// spool holds a job the way the print queue does.
func (f *deliveryFixture) spool(t *testing.T, name, format string, doc []byte) heldJob {
	t.Helper()
	id := newJobID()
	key, size, err := f.docs.Write(id, bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	rec := JobRecord{ID: id, User: alice, Name: name, Format: format, Size: size, Created: time.Now(), Key: key}
	if err := f.store.AddJob(&rec); err != nil {
		t.Fatal(err)
	}
	return heldJob{ID: id, Name: name, Format: format, Size: size, User: alice, local: &rec}
}

// held returns the job's record, failing if it is gone (printed).
func (f *deliveryFixture) held(t *testing.T, id string) JobRecord {
	t.Helper()
	j, err := f.store.Job(id)
	if err != nil {
		t.Fatalf("job %s not held any more: %v", id, err)
	}
	return j
}

func (f *deliveryFixture) report(t *testing.T, id string) StateReport {
	t.Helper()
	reports, _ := f.store.Reports()
	for _, r := range reports {
		if r.JobID == id {
			return r
		}
	}
	t.Fatalf("no state report queued for %s", id)
	return StateReport{}
}

func (f *deliveryFixture) printedOnce(t *testing.T, j heldJob) {
	t.Helper()
	if _, err := f.store.Job(j.ID); !errors.Is(err, ErrJobNotFound) {
		t.Fatalf("printed job still in the store: %v", err)
	}
	if r := f.report(t, j.ID); r.State != JobPrinted {
		t.Fatalf("report %+v, want printed", r)
	}
	if _, err := f.docs.Open(j.ID, j.local.Key); !errors.Is(err, docstore.ErrNotFound) {
		t.Fatalf("printed document still spooled: %v", err)
	}
}

// faultyPrinter serves its first connections with faults, then receives
// jobs whole, and counts connections.
type faultyPrinter struct {
	ln     net.Listener
	faults []func(net.Conn)
	mu     sync.Mutex
	conns  int
	jobs   [][]byte
	wg     sync.WaitGroup
}

func startFaultyPrinter(t *testing.T, faults ...func(net.Conn)) *faultyPrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultyPrinter{ln: ln, faults: faults}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			n := p.conns
			p.conns++
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				if n < len(p.faults) {
					p.faults[n](c)
					return
				}
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				data, err := io.ReadAll(c)
				if err == nil {
					p.mu.Lock()
					p.jobs = append(p.jobs, data)
					p.mu.Unlock()
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *faultyPrinter) printer() Printer {
	host, port, _ := net.SplitHostPort(p.ln.Addr().String())
	n, _ := strconv.Atoi(port)
	return Printer{ID: "p1", Name: "Floor 2", Address: host, Port: n, Protocol: "raw9100", Enabled: true}
}

func (p *faultyPrinter) received() (conns int, jobs [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns, p.jobs
}

func resetAfter(n int64) func(net.Conn) {
	return func(c net.Conn) {
		io.CopyN(io.Discard, c, n)
		c.(*net.TCPConn).SetLinger(0)
	}
}

func stall(c net.Conn) { time.Sleep(2500 * time.Millisecond) }

func TestDeliveryFaults(t *testing.T) {
	doc := make([]byte, 16<<20) // more than loopback socket buffers, so a stall blocks the sender
	rand.Read(doc)
	job := raw9100.Job{Name: "Q3.pdf", User: alice.Email, Format: "application/pdf"}
	whole := job.Header() + string(doc) + job.Trailer()

	tests := []struct {
		name     string
		faults   []func(net.Conn)
		printed  bool
		attempts int
	}{
		{"closes mid-job, then takes it", []func(net.Conn){resetAfter(1 << 20)}, true, 2},
		{"stalls, then takes it", []func(net.Conn){stall}, true, 2},
		{"closes mid-job every time", []func(net.Conn){resetAfter(1 << 20), resetAfter(2 << 20), resetAfter(1 << 20)}, false, 3},
		{"stalls every time", []func(net.Conn){stall, stall, stall}, false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newDeliveryFixture(t, DeliveryConfig{})
			p := startFaultyPrinter(t, tc.faults...)
			j := f.spool(t, "Q3.pdf", "application/pdf", doc)
			err := f.d.deliver(t.Context(), j, p.printer())
			conns, jobs := p.received()
			if conns != tc.attempts {
				t.Fatalf("%d connections, want %d", conns, tc.attempts)
			}
			if !tc.printed {
				if err == nil {
					t.Fatal("delivery reported success")
				}
				rec := f.held(t, j.ID)
				if rec.State != JobFailed || rec.Reason == "" || rec.Attempts != tc.attempts {
					t.Fatalf("held job state %q reason %q attempts %d", rec.State, rec.Reason, rec.Attempts)
				}
				if r := f.report(t, j.ID); r.State != JobFailed || r.Reason != rec.Reason {
					t.Fatalf("report %+v", r)
				}
				if len(jobs) != 0 {
					t.Fatalf("printer completed %d jobs", len(jobs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f.printedOnce(t, j)
			if len(jobs) != 1 || string(jobs[0]) != whole {
				t.Fatalf("printer completed %d jobs, want 1 whole one", len(jobs))
			}
		})
	}
}

func TestRefusingPrinterKeepsJobHeldUntilItIsBack(t *testing.T) {
	f := newDeliveryFixture(t, DeliveryConfig{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close() // nothing listens: connection refused
	p := Printer{ID: "p1", Name: "Floor 2", Address: "127.0.0.1", Port: addr.Port, Protocol: "raw9100", Enabled: true}
	doc := []byte("%PDF-1.4 small job")
	j := f.spool(t, "a.pdf", "application/pdf", doc)

	err := f.d.deliver(t.Context(), j, p)
	if err == nil || !transient(err) {
		t.Fatalf("deliver to a refusing printer: %v", err)
	}
	rec := f.held(t, j.ID)
	if rec.State != JobFailed || !strings.Contains(rec.Reason, "refused") || rec.Attempts != defaultAttempts {
		t.Fatalf("held job: state %q reason %q attempts %d", rec.State, rec.Reason, rec.Attempts)
	}
	if retries, failed := f.attempts(t, "raw9100", "retry"), f.attempts(t, "raw9100", JobFailed); retries != 2 || failed != 1 {
		t.Fatalf("attempt metrics: %v retries, %v failed", retries, failed)
	}

	// The printer is back: the next swipe prints the job, once.
	sim, err := printersim.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(addr.Port)), t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	go sim.Serve(t.Context())
	j.local = &rec
	if err := f.d.deliver(t.Context(), j, p); err != nil {
		t.Fatal(err)
	}
	f.printedOnce(t, j)
	if _, err := sim.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}

	// A second swipe finds nothing to print.
	a := &Agent{store: f.store, relay: relayClient{session: func(context.Context) *tunnel.Session { return nil }}}
	jobs, err := a.heldJobsOf(t.Context(), alice)
	if !errors.Is(err, ErrRelayOffline) || len(jobs) != 0 {
		t.Fatalf("second swipe would release %d jobs (%v)", len(jobs), err)
	}
}

// attempts reads edgeprint_agent_delivery_attempts_total for a protocol
// and outcome from the fixture's registry.
func (f *deliveryFixture) attempts(t *testing.T, protocol, outcome string) float64 {
	t.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != "edgeprint_agent_delivery_attempts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["protocol"] == protocol && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

type notReady struct{ calls int }

func (n *notReady) Ready(context.Context, Printer) error {
	n.calls++
	return errors.New("snmp: paper jam in tray 2")
}

func TestPrinterInErrorBlocksRelease(t *testing.T) {
	off := false
	for _, tc := range []struct {
		name  string
		block *bool
		sent  bool
	}{
		{"blocked by default", nil, false},
		{"option off", &off, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newDeliveryFixture(t, DeliveryConfig{BlockReleaseOnPrinterError: tc.block})
			checker := &notReady{}
			f.d.checker = checker
			p := startFaultyPrinter(t)
			j := f.spool(t, "a.pdf", "application/pdf", []byte("%PDF-1.4"))
			err := f.d.deliver(t.Context(), j, p.printer())
			conns, _ := p.received()
			if tc.sent {
				if err != nil || conns != 1 || checker.calls != 0 {
					t.Fatalf("err %v, %d connections, %d checks", err, conns, checker.calls)
				}
				return
			}
			if err == nil || conns != 0 {
				t.Fatalf("err %v, %d connections to a printer in error", err, conns)
			}
			rec := f.held(t, j.ID)
			if rec.State != JobFailed || !strings.Contains(rec.Reason, "paper jam") || rec.Attempts != 0 {
				t.Fatalf("held job: state %q reason %q attempts %d", rec.State, rec.Reason, rec.Attempts)
			}
		})
	}
}

func TestReleaseToLPRQueues(t *testing.T) {
	srv := lpdtest.Start(t, "lp", "Finance_MFP")
	host, port, _ := net.SplitHostPort(srv.Addr)
	n, _ := strconv.Atoi(port)
	doc := make([]byte, 5<<20)
	rand.Read(doc)
	for _, queue := range []string{"lp", "Finance_MFP"} {
		t.Run(queue, func(t *testing.T) {
			f := newDeliveryFixture(t, DeliveryConfig{})
			j := f.spool(t, "Q3 report.pdf", "application/pdf", doc)
			p := Printer{ID: "q-" + queue, Name: queue, Address: host, Port: n, Protocol: "lpr", Queue: queue, Enabled: true}
			if err := f.d.deliver(t.Context(), j, p); err != nil {
				t.Fatal(err)
			}
			f.printedOnce(t, j)
			got := srv.Printed(t, queue, len(doc))
			if sha256.Sum256(got) != sha256.Sum256(doc) {
				t.Fatalf("queue %s printed %d bytes that differ from the %d spooled", queue, len(got), len(doc))
			}
			if info := srv.JobInfo(t, queue); info["P"] != alice.Email || info["J"] != "Q3 report.pdf" {
				t.Fatalf("lpd recorded user %q job %q", info["P"], info["J"])
			}
		})
	}
}

func TestConversionForPrintersWithoutPDF(t *testing.T) {
	pdf := samplePDF()
	t.Run("gs converts to PostScript", func(t *testing.T) {
		if _, err := os.Stat("/usr/bin/gs"); err != nil && os.Getenv("CI") == "" {
			t.Skip("gs not installed")
		}
		f := newDeliveryFixture(t, DeliveryConfig{Printers: map[string]PrinterSettings{
			"Floor 2": {Formats: []string{"application/postscript", "application/vnd.hp-pcl"}},
		}})
		p := startFaultyPrinter(t)
		j := f.spool(t, "a.pdf", "application/pdf", pdf)
		if err := f.d.deliver(t.Context(), j, p.printer()); err != nil {
			t.Fatal(err)
		}
		f.printedOnce(t, j)
		_, jobs := p.received()
		if len(jobs) != 1 || !bytes.Contains(jobs[0], []byte("ENTER LANGUAGE=POSTSCRIPT\r\n%!PS")) {
			t.Fatalf("printer got %d jobs, not PostScript", len(jobs))
		}
		if left, _ := filepath.Glob(filepath.Join(f.docs.Dir(), "convert-*")); len(left) != 0 {
			t.Fatalf("conversion left %v", left)
		}
	})
	t.Run("no gs keeps the job held", func(t *testing.T) {
		f := newDeliveryFixture(t, DeliveryConfig{Ghostscript: "/nonexistent/gs", Printers: map[string]PrinterSettings{
			"p1": {Formats: []string{"application/postscript"}},
		}})
		p := startFaultyPrinter(t)
		j := f.spool(t, "a.pdf", "application/pdf", pdf)
		if err := f.d.deliver(t.Context(), j, p.printer()); err == nil {
			t.Fatal("delivered without conversion")
		}
		rec := f.held(t, j.ID)
		want := `printer "Floor 2" does not take PDF and Ghostscript (gs) is not installed: install ghostscript or enable PDF on the printer`
		if rec.State != JobFailed || !strings.HasPrefix(rec.Reason, want) {
			t.Fatalf("reason %q", rec.Reason)
		}
		if conns, _ := p.received(); conns != 0 {
			t.Fatalf("%d connections", conns)
		}
	})
}

func TestPrintedReportIsNotReplacedByFailure(t *testing.T) {
	f := newDeliveryFixture(t, DeliveryConfig{})
	if err := f.store.FinishJob(StateReport{JobID: "r1", State: JobPrinted, PrinterID: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.FailJob(StateReport{JobID: "r1", State: JobFailed, Reason: "late"}, 1); err != nil {
		t.Fatal(err)
	}
	if r := f.report(t, "r1"); r.State != JobPrinted {
		t.Fatalf("report %+v", r)
	}
	ids, _ := f.store.PrintedUnreported()
	if !ids["r1"] {
		t.Fatal("printed relay job not remembered until reported")
	}
}

func TestInterruptedReleaseIsHeldAgain(t *testing.T) {
	f := newDeliveryFixture(t, DeliveryConfig{})
	j := f.spool(t, "a.pdf", "application/pdf", []byte("x"))
	f.store.SetJobState(j.ID, JobSending, "")
	if n, err := f.store.resetInterrupted(); err != nil || n != 1 {
		t.Fatalf("reset %d, %v", n, err)
	}
	if rec := f.held(t, j.ID); rec.State != JobFailed || rec.Reason == "" {
		t.Fatalf("state %q reason %q", rec.State, rec.Reason)
	}
}

// samplePDF is a one-page PDF Ghostscript accepts.
func samplePDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
		"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n" +
		"trailer<</Root 1 0 R>>\n%%EOF\n")
}

func TestStatusShowsWhyAJobIsHeld(t *testing.T) {
	f := newDeliveryFixture(t, DeliveryConfig{})
	f.d.checker = &notReady{}
	j := f.spool(t, "payroll.pdf", "application/pdf", []byte("%PDF"))
	f.d.deliver(t.Context(), j, Printer{ID: "p1", Name: "Floor 2", Address: "127.0.0.1", Port: 1})
	a := &Agent{store: f.store, sess: newSessionHolder(), ippLn: dummyListener{}, adminLn: dummyListener{}}
	var page strings.Builder
	if err := statusPage.Execute(&page, a.Status()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"payroll.pdf", "not printed", "paper jam"} {
		if !strings.Contains(page.String(), want) {
			t.Fatalf("status page lacks %q", want)
		}
	}
}

type dummyListener struct{ net.Listener }

func (dummyListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

// TestReleaseRelayJob releases a job only the relay holds (the agent that
// spooled it is another one, or its copy is gone): the document is fetched
// for each attempt, and LPR gets its size from the relay's record.
func TestReleaseRelayJob(t *testing.T) {
	srv := lpdtest.Start(t, "lp")
	host, port, _ := net.SplitHostPort(srv.Addr)
	n, _ := strconv.Atoi(port)
	doc := make([]byte, 3<<20+5)
	rand.Read(doc)
	f := newDeliveryFixture(t, DeliveryConfig{})
	fetches := 0
	f.d.fetch = func(ctx context.Context, id string) (io.ReadCloser, error) {
		fetches++
		if fetches == 1 {
			return nil, ErrRelayOffline // the tunnel is reconnecting: retried
		}
		return io.NopCloser(bytes.NewReader(doc)), nil
	}
	j := heldJob{ID: "relay-job-1", Name: "from relay.pdf", Format: "application/pdf", Size: int64(len(doc)), User: alice}
	p := Printer{ID: "q1", Name: "Print server", Address: host, Port: n, Protocol: "lpr", Queue: "lp"}
	if err := f.d.deliver(t.Context(), j, p); err != nil {
		t.Fatal(err)
	}
	if fetches != 2 {
		t.Fatalf("%d fetches, want 2", fetches)
	}
	if got := srv.Printed(t, "lp", len(doc)); !bytes.Equal(got, doc) {
		t.Fatalf("printed %d bytes that differ from the relay's %d", len(got), len(doc))
	}
	if r := f.report(t, j.ID); r.State != JobPrinted || r.PrinterID != "q1" {
		t.Fatalf("report %+v", r)
	}
	if ids, _ := f.store.PrintedUnreported(); !ids[j.ID] {
		t.Fatal("printed relay job would be listed again before its report reaches the relay")
	}
}

// TestPJLReadBackKeepsJobHeldForPrinterInError: with read-back on, a raw
// 9100 printer that answers INFO STATUS with a jam gets no document and
// the job stays held with the printer's own words.
func TestPJLReadBackKeepsJobHeldForPrinterInError(t *testing.T) {
	jammed := func(c net.Conn) {
		buf := make([]byte, 4096)
		var got []byte
		for !bytes.Contains(got, []byte("INFO STATUS")) {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			got = append(got, buf[:n]...)
		}
		io.WriteString(c, "@PJL INFO STATUS\r\nCODE=42000\r\nDISPLAY=\"13.1 Paper jam tray 2\"\r\nONLINE=TRUE\r\n\f")
		io.Copy(io.Discard, c)
	}
	f := newDeliveryFixture(t, DeliveryConfig{PJLStatusReadBack: true})
	p := startFaultyPrinter(t, jammed)
	j := f.spool(t, "a.pdf", "application/pdf", []byte("%PDF-1.4 secret"))
	if err := f.d.deliver(t.Context(), j, p.printer()); !errors.Is(err, raw9100.ErrPrinterNotReady) {
		t.Fatalf("err %v, want ErrPrinterNotReady", err)
	}
	if conns, _ := p.received(); conns != 1 {
		t.Fatalf("%d connections, want 1 (not retried)", conns)
	}
	if rec := f.held(t, j.ID); rec.State != JobFailed || !strings.Contains(rec.Reason, "Paper jam tray 2") {
		t.Fatalf("state %q reason %q", rec.State, rec.Reason)
	}
}

// TestLongSendIsMarkedSending: a send still running after sendingMarkDelay
// is recorded as "sending" (so a crash reports it unconfirmed); the quick
// ones are not written at all.
func TestLongSendIsMarkedSending(t *testing.T) {
	f := newDeliveryFixture(t, DeliveryConfig{})
	j := f.spool(t, "big.pdf", "application/pdf", bytes.Repeat([]byte("x"), 8<<20))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	release := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		<-release // a printer warming up: it takes the bytes later
		io.Copy(io.Discard, c)
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	done := make(chan error, 1)
	go func() {
		done <- f.d.deliver(t.Context(), j, Printer{ID: "p1", Name: "slow", Address: "127.0.0.1", Port: port})
	}()

	deadline := time.Now().Add(5 * time.Second)
	for f.held(t, j.ID).State != JobSending {
		if time.Now().After(deadline) {
			t.Fatal("a long send was never recorded as sending")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Job(j.ID); err != ErrJobNotFound {
		t.Fatalf("printed job still stored: %v", err)
	}
}
