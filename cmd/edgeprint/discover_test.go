package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/snmp/snmprec"
)

// TestDiscoverCommand sweeps three simulated printers (real captures served
// by package snmprec on 127.0.2.1-3) and checks the JSON and the table.
func TestDiscoverCommand(t *testing.T) {
	dir := os.Getenv("EDGEPRINT_SNMP_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "snmp")
	}
	walks := []string{"ricoh-aficio-mp-c3002", "sharp-mx-m266nv", "hp-laserjet-mfp-m129-m134"}
	first, err := net.ListenPacket("udp4", "127.0.2.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := first.LocalAddr().(*net.UDPAddr).Port
	for i, name := range walks {
		f, err := os.Open(filepath.Join(dir, name+".snmprec"))
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
		w, err := snmprec.Parse(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		pc := first
		if i > 0 {
			if pc, err = net.ListenPacket("udp4", "127.0.2."+strconv.Itoa(i+1)+":"+strconv.Itoa(port)); err != nil {
				t.Skipf("port %d taken on 127.0.2.%d: %v", port, i+1, err)
			}
		}
		a := snmprec.NewAgent(w, "office", nil)
		a.Serve(pc)
		t.Cleanup(func() { a.Close() })
	}
	target := "127.0.2.1-4:" + strconv.Itoa(port)

	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, out string)
	}{
		{"json", []string{"discover", target, "--community", "wrong", "--community", "office", "--json", "--timeout", "300ms", "--retries", "0"}, "", func(t *testing.T, out string) {
			var got []map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if len(got) != 3 {
				t.Fatalf("%d printers, want 3", len(got))
			}
			for _, key := range []string{"address", "manufacturer", "model", "serial", "mac", "color", "duplex", "languages", "status", "supplies", "page_count"} {
				if _, ok := got[0][key]; !ok {
					t.Errorf("no %q in %v", key, got[0])
				}
			}
			if got[0]["serial"] != "W492KB03439" || got[1]["model"] != "MX-M266NV" {
				t.Errorf("got %v / %v", got[0]["serial"], got[1]["model"])
			}
		}},
		{"table", []string{"discover", "--community", "office", target, "--timeout", "300ms"}, "", func(t *testing.T, out string) {
			for _, want := range []string{"ADDRESS", "Aficio MP C3002", "0505571100", "LaserJet MFP M129-M134"} {
				if !strings.Contains(out, want) {
					t.Errorf("table lacks %q:\n%s", want, out)
				}
			}
		}},
		{"bad target", []string{"discover", "10.0.0.0/8"}, "larger than a /16", nil},
		{"no target", []string{"discover", "--json"}, "no target", nil},
		{"bad v3", []string{"discover", "127.0.0.1", "--v3-user", "u", "--v3-auth", "MD4:x"}, "unknown auth protocol", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tc.args, nil, &out, &errOut)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			tc.check(t, out.String())
		})
	}
}
