package agent

import (
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

func TestDiscoveryConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, json, wantErr string
	}{
		{"defaults", `{}`, ""},
		{"targets and credentials", `{"targets": [{"addresses": ["10.1.0.0/24", "printer.lan:1161"], "credentials": ["site"]}],
			"credentials": [{"name": "site", "version": "2c", "community": "s3cret"}, {"name": "v3", "version": "3", "username": "ep", "auth_protocol": "SHA256", "auth_passphrase": "p", "priv_protocol": "AES", "priv_passphrase": "q"}],
			"interval": "30m", "poll_interval": "30s", "concurrency": 32, "rate": 100, "timeout": "2s", "retries": 2, "mdns": false}`, ""},
		{"unknown key", `{"targetz": []}`, `unknown field "targetz"`},
		{"bad target", `{"targets": [{"addresses": ["10.0.0.0/8"]}]}`, "larger than a /16"},
		{"unknown credential", `{"targets": [{"addresses": ["local"], "credentials": ["nope"]}]}`, `no credential named "nope"`},
		{"credential without name", `{"credentials": [{"community": "x"}]}`, "name is required"},
		{"bad version", `{"credentials": [{"name": "x", "version": "4", "community": "x"}]}`, "not 1, 2c or 3"},
		{"short interval", `{"interval": "10s"}`, "discovery.interval"},
		{"bad duration", `{"interval": 900}`, "duration must be a string"},
		{"setting", `{"settings": [{"serials": ["S1"], "dry_run": true, "profile": {"name": "auth", "enterprise": 253,
			"table": "1.3.6.1.4.1.253.99.1.1", "key_columns": [2, 3], "writes": [{"key": [5, 1], "column": 4, "type": "string", "value": "{agent_host}"}]}}]}`, ""},
		{"setting without serials", `{"settings": [{"profile": {"name": "auth", "enterprise": 253,
			"table": "1.3.6.1.4.1.253.99.1.1", "key_columns": [2], "writes": [{"key": [5], "column": 4, "type": "string", "value": "x"}]}}]}`, "list the printers"},
		{"setting outside its enterprise", `{"settings": [{"serials": ["S1"], "profile": {"name": "auth", "enterprise": 253,
			"table": "1.3.6.1.2.1.43", "key_columns": [2], "writes": [{"key": [5], "column": 4, "type": "string", "value": "x"}]}}]}`, "not under enterprise 253"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "agent.json")
			os.WriteFile(p, []byte(`{"data_dir": "`+dir+`", "discovery": `+tc.json+`}`), 0o600)
			cfg, err := LoadConfig(p)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if e := cfg.Discovery.effective(); len(e.Credentials) == 0 || len(e.Targets) == 0 {
					t.Fatalf("discovery defaults lost: %+v", e)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// simPrinter serves a real capture on addr with package snmprec.
func simPrinter(t *testing.T, addr, walk string) *snmprec.Agent {
	t.Helper()
	return serveWalk(t, addr, walk, "")
}

// TestSweepFollowsMoves sweeps two simulated printers on loopback, stores
// them, then moves one to another address: it stays one printer, with its
// id, at the new address. Polling reads the enabled one.
func TestSweepFollowsMoves(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.3.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	ricoh := simPrinter(t, "127.0.3.1:"+port, "ricoh-aficio-mp-c3002")
	simPrinter(t, "127.0.3.2:"+port, "sharp-mx-m266nv")

	st, err := OpenStore(filepath.Join(t.TempDir(), "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := defaultDiscovery()
	no := false
	cfg.MDNS = &no
	cfg.Credentials = []snmp.Credential{{Name: "wrong", Community: "public"}, {Name: "site", Community: "site"}}
	cfg.Timeout = Duration(300e6)
	cfg.Targets = []DiscoveryTarget{{Addresses: []string{"127.0.3.1-5:" + port}}}
	a := &Agent{store: st, log: slog.New(slog.DiscardHandler), disc: newDiscovery(cfg)}

	a.sweepOnce(t.Context())
	ps, err := st.DiscoveredPrinters()
	if err != nil || len(ps) != 2 {
		t.Fatalf("after first sweep: %d printers, %v", len(ps), err)
	}
	if ps[0].Serial != "W492KB03439" || ps[0].Credential != "site" || ps[1].Serial != "0505571100" {
		t.Fatalf("printers: %+v", ps)
	}
	ricohID := ps[0].ID

	ricoh.Close()
	simPrinter(t, "127.0.3.5:"+port, "ricoh-aficio-mp-c3002")
	a.sweepOnce(t.Context())
	ps, _ = st.DiscoveredPrinters()
	if len(ps) != 2 {
		t.Fatalf("after the move: %d printers: %+v", len(ps), ps)
	}
	var moved DiscoveredPrinter
	for _, p := range ps {
		if p.Serial == "W492KB03439" {
			moved = p
		}
	}
	if moved.ID != ricohID || moved.Address != "127.0.3.5:"+port {
		t.Fatalf("moved printer: %+v (id %s)", moved, ricohID)
	}

	if err := st.SaveSiteConfig(SiteConfig{Printers: []Printer{{ID: "p1", Address: "127.0.3.2", Enabled: true}}}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.DiscoveredPrinters()
	a.pollOnce(t.Context())
	after, _ := st.DiscoveredPrinters()
	for i := range after {
		polled := after[i].Address == "127.0.3.2:"+port
		if polled != after[i].LastSeen.After(before[i].LastSeen) {
			t.Errorf("%s: last seen %v -> %v", after[i].Address, before[i].LastSeen, after[i].LastSeen)
		}
	}
}
