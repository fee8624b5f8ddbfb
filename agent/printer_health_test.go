package agent

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/snmp"
	"github.com/edgeprint/edgeprint/snmp/snmprec"
)

// TestPrinterHealth: a jammed printer blocks release with the printer's own
// words; once the jam is cleared the next release looks again and goes
// through; a printer SNMP knows that stops answering blocks; one SNMP never
// found is not checked.
func TestPrinterHealth(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.3.21:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()

	const jam = "1.3.6.1.2.1.25.3.5.1.2.1|4x|04" // hrPrinterDetectedErrorState bit 5: jammed
	jammed := serveWalk(t, addr, "ricoh-aficio-mp-c3002", jam)
	st, err := OpenStore(filepath.Join(t.TempDir(), "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := defaultDiscovery()
	no := false
	cfg.MDNS = &no
	cfg.Credentials = []snmp.Credential{{Name: "site", Community: "site"}}
	cfg.Timeout = Duration(300e6)
	cfg.Targets = []DiscoveryTarget{{Addresses: []string{"127.0.3.21:" + port}}}
	a := &Agent{store: st, log: slog.New(slog.DiscardHandler), disc: newDiscovery(cfg)}
	a.sweepOnce(t.Context())

	h := printerHealth{a}
	p := Printer{Name: "MFP", Address: "127.0.3.21"}
	if err := h.Ready(t.Context(), p); err == nil || !strings.Contains(err.Error(), "jammed") {
		t.Fatalf("jammed printer: %v", err)
	}

	jammed.Close()
	healthy := serveWalk(t, addr, "ricoh-aficio-mp-c3002", "")
	if err := h.Ready(t.Context(), p); err != nil {
		t.Fatalf("cleared jam still blocks: %v", err)
	}
	if err := h.Ready(t.Context(), p); err != nil {
		t.Fatalf("healthy printer: %v", err)
	}

	healthy.Close()
	again := serveWalk(t, addr, "ricoh-aficio-mp-c3002", jam)
	a.sweepOnce(t.Context()) // the poll sees the jam again
	if stored, _ := st.DiscoveredPrinters(); len(stored) != 1 {
		t.Fatalf("%d printers stored", len(stored))
	}
	again.Close()
	if err := h.Ready(t.Context(), p); !errors.Is(err, errPrinterSilent) {
		t.Fatalf("silent printer: %v", err)
	}
	if err := h.Ready(t.Context(), Printer{Name: "manual", Address: "127.0.3.99"}); err != nil {
		t.Fatalf("a printer SNMP never found: %v", err)
	}
}

// serveWalk serves a real capture on addr, with one record replaced when
// replace is not empty.
func serveWalk(t *testing.T, addr, walk, replace string) *snmprec.Agent {
	t.Helper()
	dir := os.Getenv("EDGEPRINT_SNMP_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "testdata", "snmp")
	}
	data, err := os.ReadFile(filepath.Join(dir, walk+".snmprec"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	text := string(data)
	if replace != "" {
		oid := replace[:strings.IndexByte(replace, '|')]
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, oid+"|") {
				l = replace
			}
			lines = append(lines, l)
		}
		text = strings.Join(lines, "\n")
	}
	w, err := snmprec.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	a := snmprec.NewAgent(w, "site", nil)
	a.Serve(pc)
	t.Cleanup(func() { a.Close() })
	return a
}
