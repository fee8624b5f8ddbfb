package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgeprint/edgeprint/cardreader"
	"github.com/edgeprint/edgeprint/ipp"
	"github.com/edgeprint/edgeprint/printersim"
	"github.com/edgeprint/edgeprint/tunnel"
)

// swipeSite is an agent whose relay is away (the fast path: cards cached,
// jobs on the local spool) with simulated printers on loopback.
type swipeSite struct {
	a        *Agent
	printers []*printersim.Printer
	ctx      context.Context
}

// startSwipeSite starts an agent with n printers; configure sets its
// readers before it runs.
func startSwipeSite(t *testing.T, nPrinters int, readers []Reader) *swipeSite {
	t.Helper()
	dir := t.TempDir()
	// A relay address nothing listens on: the tunnel keeps retrying.
	if err := (Identity{AgentID: "a1", Secret: "s", RelayURL: "http://127.0.0.1:1"}).Save(dir); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Discovery.Disabled = true // never sweep the host's networks from a test
	cfg.DataDir = dir
	cfg.Site = "Test"
	cfg.Admin.Listen = "127.0.0.1:0"
	cfg.IPP.Listen = "127.0.0.1:0"
	cfg.CardReaders = ReadersConfig{ElatecTCPConv: "127.0.0.1:0", ElatecTCPConv2: "127.0.0.1:0", RFIDeas241: "127.0.0.1:0"}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("EDGEPRINT_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := New(cfg, "test", logger)
	if err != nil {
		t.Fatal(err)
	}
	a.readerBackoff = tunnel.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	site := &swipeSite{a: a, ctx: ctx}
	var sc SiteConfig
	var wg sync.WaitGroup
	for i := range nPrinters {
		p, err := printersim.Listen("127.0.0.1:0", filepath.Join(dir, "printer"+strconv.Itoa(i)), logger)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); p.Serve(ctx) }()
		site.printers = append(site.printers, p)
		_, port, _ := net.SplitHostPort(p.Addr())
		n, _ := strconv.Atoi(port)
		sc.Printers = append(sc.Printers, Printer{ID: "p" + strconv.Itoa(i), Name: "printer " + strconv.Itoa(i),
			Address: "127.0.0.1", Port: n, Protocol: "raw9100", Enabled: true})
	}
	sc.Readers = readers
	a.useSiteConfig(sc)
	done := make(chan struct{})
	wg.Add(1)
	go func() { defer wg.Done(); a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return site
}

// holdJobs spools n jobs for u; each document names its user and number.
func (s *swipeSite) holdJobs(t *testing.T, u User, n int) {
	t.Helper()
	for i := range n {
		doc := fmt.Sprintf("%%PDF-1.4 document %d of %s\n", i, u.ID)
		if _, err := s.a.Spool(s.ctx, ipp.JobInfo{User: ipp.User{ID: u.ID, Email: u.Email}, Name: "doc", Format: "application/pdf"}, strings.NewReader(doc)); err != nil {
			t.Fatal(err)
		}
	}
}

// knowCard caches the card's owner as freshly confirmed by the relay.
func (s *swipeSite) knowCard(t *testing.T, card string, u User) {
	t.Helper()
	if err := s.a.store.CacheCardAt(card, u, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// collect waits for n jobs across the printers and returns their
// documents by printer.
func (s *swipeSite) collect(t *testing.T, n int) map[int][]string {
	t.Helper()
	type job struct {
		printer int
		doc     string
	}
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	got := make(chan job)
	var wg sync.WaitGroup
	for i, p := range s.printers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				path, err := p.Wait(ctx)
				if err != nil {
					return
				}
				data, _ := os.ReadFile(path)
				select {
				case got <- job{i, string(data)}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	out := map[int][]string{}
	for range n {
		select {
		case j := <-got:
			out[j.printer] = append(out[j.printer], j.doc)
		case <-ctx.Done():
		}
	}
	cancel()
	wg.Wait()
	total := 0
	for _, docs := range out {
		total += len(docs)
	}
	if total != n {
		t.Fatalf("printers got %d jobs, want %d", total, n)
	}
	return out
}

// dialFrom connects to addr from a given loopback source address: readers
// are told apart by address.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from %s (needs 127.0.0.0/8 on lo): %v", src, err)
	}
	return c
}

// TestSwipeManyReadersBothModes: 24 readers swipe at once, 20 connecting
// to the agent (each first sending a banner, binary noise and an oversized
// line) and 4 in server mode that the agent dials; every user's jobs come
// out once, at the printer of the reader they swiped at.
func TestSwipeManyReadersBothModes(t *testing.T) {
	const clients, servers, jobsEach, nPrinters = 20, 4, 2, 4
	var readers []Reader
	var serverLns []net.Listener
	for i := range clients {
		readers = append(readers, Reader{ID: "r" + strconv.Itoa(i), Model: cardreader.ElatecTCPConv,
			Address: fmt.Sprintf("127.0.0.%d", 11+i), PrinterID: "p" + strconv.Itoa(i%nPrinters)})
	}
	for i := range servers {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 51+i))
		if err != nil {
			t.Skip("cannot listen on 127.0.0.x:", err)
		}
		defer ln.Close()
		serverLns = append(serverLns, ln)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		n, _ := strconv.Atoi(port)
		readers = append(readers, Reader{ID: "s" + strconv.Itoa(i), Model: cardreader.RFIDeas241, Mode: "server", Port: n,
			Address: fmt.Sprintf("127.0.0.%d", 51+i), PrinterID: "p" + strconv.Itoa(i%nPrinters),
			// These readers send decimal, byte-reversed UIDs.
			Conversion: []byte(`[{"op":"dec_to_hex"},{"op":"reverse_bytes"}]`)})
	}
	site := startSwipeSite(t, nPrinters, readers)
	users := make([]User, clients+servers)
	cards := make([]string, len(users))
	for i := range users {
		users[i] = User{ID: fmt.Sprintf("u%02d", i), Email: fmt.Sprintf("u%02d@acme.example", i)}
		cards[i] = fmt.Sprintf("04A1B2%02X", i)
		site.knowCard(t, cards[i], users[i])
		site.holdJobs(t, users[i], jobsEach)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		c := dialFrom(t, readers[i].Address, site.a.ReaderAddr(cardreader.ElatecTCPConv))
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := bufio.NewWriter(c)
			fmt.Fprintf(w, "Elatec TCPConv ready\r\n\x00\x01\x02\xff\r\n%s\n", strings.Repeat("7", 5000))
			w.Flush()
			<-start
			fmt.Fprintf(w, "%s\r\n", strings.ToLower(cards[i]))
			w.Flush()
		}()
	}
	for i, ln := range serverLns {
		c, err := ln.Accept() // the agent dialled this reader
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		u := clients + i
		// The same badge as cards[u], as an RF IDeas in decimal,
		// least significant byte first.
		rev, _ := cardreader.Compile([]cardreader.Step{{Op: cardreader.OpReverseBytes}, {Op: cardreader.OpHexToDec}})
		dec, err := rev.Apply(cards[u])
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fmt.Fprintf(c, "RF IDeas\r%s\r", dec)
		}()
	}
	close(start)
	wg.Wait()

	byPrinter := site.collect(t, len(users)*jobsEach)
	seen := map[string]bool{}
	for p, docs := range byPrinter {
		for _, d := range docs {
			i := strings.Index(d, "%PDF-1.4 document ")
			if i < 0 {
				t.Fatalf("printer %d got a job without a document", p)
			}
			line := d[i : i+strings.IndexByte(d[i:], '\n')]
			if seen[line] {
				t.Fatalf("printed twice: %s", line)
			}
			seen[line] = true
			var n int
			var uid string
			fmt.Sscanf(line, "%%PDF-1.4 document %d of %s", &n, &uid)
			u, _ := strconv.Atoi(strings.TrimPrefix(uid, "u"))
			if want := u % nPrinters; p != want {
				t.Fatalf("%s came out at printer %d, want %d", line, p, want)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for site.a.Status().HeldJobs != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still held after printing", site.a.Status().HeldJobs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestOneUserTwoPrinters: the same badge at two readers at once prints
// each job once, at one printer or the other.
func TestOneUserTwoPrinters(t *testing.T) {
	readers := []Reader{
		{ID: "r1", Model: cardreader.ElatecTCPConv, Address: "127.0.0.21", PrinterID: "p0"},
		{ID: "r2", Model: cardreader.ElatecTCPConv, Address: "127.0.0.22", PrinterID: "p1"},
	}
	site := startSwipeSite(t, 2, readers)
	ann := User{ID: "ann", Email: "ann@acme.example"}
	site.knowCard(t, "CAFE01", ann)
	site.holdJobs(t, ann, 6)
	c1 := dialFrom(t, "127.0.0.21", site.a.ReaderAddr(cardreader.ElatecTCPConv))
	defer c1.Close()
	c2 := dialFrom(t, "127.0.0.22", site.a.ReaderAddr(cardreader.ElatecTCPConv))
	defer c2.Close()
	fmt.Fprint(c1, "CAFE01\r\n")
	fmt.Fprint(c2, "CAFE01\r\n")
	got := site.collect(t, 6)
	seen := map[string]bool{}
	for _, docs := range got {
		for _, d := range docs {
			if seen[d] {
				t.Fatal("a job printed twice")
			}
			seen[d] = true
		}
	}
	// Nothing else comes out.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	for _, p := range site.printers {
		if _, err := p.Wait(ctx); err == nil {
			t.Fatal("a seventh job came out")
		}
	}
}

// TestFeedbackAndOutcomes: a reader with feedback on hears "b" for a
// known card and "e" for an unknown one; a double swipe is debounced.
func TestFeedbackAndOutcomes(t *testing.T) {
	site := startSwipeSite(t, 1, []Reader{{ID: "r1", Model: cardreader.ElatecTCPConv2, Address: "127.0.0.31", PrinterID: "p0", Feedback: true}})
	bob := User{ID: "bob", Email: "bob@acme.example"}
	site.knowCard(t, "B0B0B0", bob)
	site.holdJobs(t, bob, 1)
	c := dialFrom(t, "127.0.0.31", site.a.ReaderAddr(cardreader.ElatecTCPConv2))
	defer c.Close()
	fmt.Fprint(c, "B0B0B0\r\nB0B0B0\r\n")
	site.collect(t, 1)
	buf := make([]byte, 1)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || buf[0] != 'b' {
		t.Fatalf("known card feedback %q, %v; want b", buf, err)
	}
	// An unknown card: the relay is away and the card not cached.
	fmt.Fprint(c, "DEAD01\r\n")
	if _, err := io.ReadFull(c, buf); err != nil || buf[0] != 'e' {
		t.Fatalf("unknown card feedback %q, %v; want e", buf, err)
	}
	if n := counterValue(t, site.a, "edgeprint_agent_swipe_outcomes_total", "debounced"); n != 1 {
		t.Fatalf("debounced swipes: %v, want 1", n)
	}
}

func counterValue(t *testing.T, a *Agent, name, outcome string) float64 {
	t.Helper()
	mfs, err := a.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestDebounce: the same card at the same reader within swipeDebounce is
// one swipe; another reader, another card, or a later swipe is not.
func TestDebounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &Agent{swipe: newSwipeState()}
		steps := []struct {
			wait         time.Duration
			reader, card string
			want         bool
		}{
			{0, "r1", "C1", false},
			{time.Second, "r1", "C1", true},
			{0, "r2", "C1", false},
			{0, "r1", "C2", false},
			{swipeDebounce - time.Nanosecond, "r1", "C1", true}, // within the window of the last swipe
			{swipeDebounce, "r1", "C1", false},
		}
		for i, s := range steps {
			time.Sleep(s.wait)
			if got := a.debounced(s.reader, s.card); got != s.want {
				t.Fatalf("step %d (%s at %s after %v): debounced %v, want %v", i, s.card, s.reader, s.wait, got, s.want)
			}
		}
	})
}

// TestReleaseOldest: a reader set to "oldest" releases one job per swipe,
// the oldest.
func TestReleaseOldest(t *testing.T) {
	site := startSwipeSite(t, 1, []Reader{{ID: "r1", Model: cardreader.ElatecTCPConv, Address: "127.0.0.41", PrinterID: "p0", Release: "oldest"}})
	cy := User{ID: "cy", Email: "cy@acme.example"}
	site.knowCard(t, "C7C7C7", cy)
	site.holdJobs(t, cy, 3)
	c := dialFrom(t, "127.0.0.41", site.a.ReaderAddr(cardreader.ElatecTCPConv))
	defer c.Close()
	fmt.Fprint(c, "C7C7C7\r\n")
	got := site.collect(t, 1)
	if !strings.Contains(got[0][0], "document 0 of cy") {
		t.Fatalf("released %q, want the oldest job", got[0][0])
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := site.printers[0].Wait(ctx); err == nil {
		t.Fatal("a second job came out")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(site.a.store.byUser.of("cy")) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs left, want 2", len(site.a.store.byUser.of("cy")))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
