package agent

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/edgeprint/edgeprint/snmp"
	"github.com/edgeprint/edgeprint/snmp/snmprec"
)

// authTable is a synthetic printer with a writable service table whose
// rows are found by (class, type): columns 2 and 3, value in column 4.
const authTable = `1.3.6.1.2.1.1.1.0|4|Xerox AltaLink C8045
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.253.8.62.1.35.2.3.1.1
1.3.6.1.2.1.43.5.1.1.17.1|4|OPTED-IN
1.3.6.1.4.1.253.99.1.1.2.7|2|5
1.3.6.1.4.1.253.99.1.1.3.7|2|1
1.3.6.1.4.1.253.99.1.1.4.7|4|old.example
`

// TestSettingsOptIn: after a sweep, the setting is written to the printer
// whose serial is listed, and not to another one.
func TestSettingsOptIn(t *testing.T) {
	first, err := net.ListenPacket("udp4", "127.0.3.11:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(first.LocalAddr().(*net.UDPAddr).Port)
	serve := func(pc net.PacketConn, serial string) {
		w, err := snmprec.Parse(strings.NewReader(strings.Replace(authTable, "OPTED-IN", serial, 1)))
		if err != nil {
			t.Fatal(err)
		}
		a := snmprec.NewAgent(w, "site", nil)
		a.Writable = true
		a.Serve(pc)
		t.Cleanup(func() { a.Close() })
	}
	serve(first, "OPTED-IN")
	second, err := net.ListenPacket("udp4", "127.0.3.12:"+port)
	if err != nil {
		t.Skip(err)
	}
	serve(second, "NOT-LISTED")

	st, err := OpenStore(filepath.Join(t.TempDir(), "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := defaultDiscovery()
	no := false
	cfg.MDNS = &no
	cfg.Credentials = []snmp.Credential{{Name: "site", Community: "site"}}
	cfg.Timeout = Duration(500 * time.Millisecond)
	cfg.Targets = []DiscoveryTarget{{Addresses: []string{"127.0.3.11-12:" + port}}}
	cfg.Settings = []DiscoverySetting{{
		Serials: []string{"opted-in"},
		Vars:    map[string]string{"agent_host": "agent.acme.example"},
		Profile: snmp.SetProfile{Name: "auth", Enterprise: 253, Table: "1.3.6.1.4.1.253.99.1.1", KeyColumns: []int{2, 3},
			Writes: []snmp.SetRow{{Key: []int64{5, 1}, Column: 4, Type: "string", Value: "{agent_host}"}}},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := &Agent{store: st, log: slog.New(slog.DiscardHandler), disc: newDiscovery(cfg)}
	a.sweepOnce(t.Context())

	for host, want := range map[string]string{"127.0.3.11": "agent.acme.example", "127.0.3.12": "old.example"} {
		if got := getString(t, host, port, "1.3.6.1.4.1.253.99.1.1.4.7"); got != want {
			t.Errorf("%s: value %q, want %q", host, got, want)
		}
	}
}

func getString(t *testing.T, host, port, oid string) string {
	t.Helper()
	p, _ := strconv.Atoi(port)
	g := &gosnmp.GoSNMP{Target: host, Port: uint16(p), Community: "site", Version: gosnmp.Version2c,
		Timeout: time.Second, Context: context.Background()}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	pkt, err := g.Get([]string{oid})
	if err != nil || len(pkt.Variables) != 1 {
		t.Fatalf("get %s: %v", oid, err)
	}
	b, _ := pkt.Variables[0].Value.([]byte)
	return string(b)
}
