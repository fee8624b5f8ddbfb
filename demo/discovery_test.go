package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/snmp"
	"github.com/edgeprint/edgeprint/snmp/snmprec"
)

// TestDiscoveryEndToEnd: the agent sweeps two simulated printers (real
// captures on 127.0.4.1-2), the relay lists them disabled with their
// identity and state, an admin enables one, and the agent gets it in its
// configuration.
func TestDiscoveryEndToEnd(t *testing.T) {
	dir := os.Getenv("EDGEPRINT_SNMP_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "testdata", "snmp")
	}
	first, err := net.ListenPacket("udp4", "127.0.4.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(first.LocalAddr().(*net.UDPAddr).Port)
	for i, walk := range []string{"ricoh-aficio-mp-c3002", "hp-laserjet-mfp-m129-m134"} {
		f, err := os.Open(filepath.Join(dir, walk+".snmprec"))
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
			if pc, err = net.ListenPacket("udp4", "127.0.4.2:"+port); err != nil {
				t.Skipf("port %s taken on 127.0.4.2: %v", port, err)
			}
		}
		sim := snmprec.NewAgent(w, "site", nil)
		sim.Serve(pc)
		t.Cleanup(func() { sim.Close() })
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	o := testOptions(t)
	no := false
	o.Discovery = &agent.DiscoveryConfig{
		Targets:      []agent.DiscoveryTarget{{Addresses: []string{"127.0.4.1-3:" + port}}},
		Credentials:  []snmp.Credential{{Name: "site", Community: "site"}},
		Interval:     agent.Duration(time.Hour),
		PollInterval: agent.Duration(time.Minute),
		Timeout:      agent.Duration(500 * time.Millisecond),
		MDNS:         &no,
	}
	d, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); d.Wait() }()
	info := d.Info

	type printer struct {
		ID, Name, Address, Source string
		Enabled                   bool
		Discovery                 *struct {
			Model, Serial, MAC string
			PageCount          *int64 `json:"page_count"`
		}
	}
	call := func(method, path string, body any, out any) int {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, info.RelayURL+path, rd)
		req.Header.Set("Authorization", "Bearer "+info.APIToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := pinnedClient(info.RelayFingerprint).Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if out != nil {
			json.Unmarshal(data, out)
		}
		return resp.StatusCode
	}
	var found []printer
	waitFor(t, ctx, "both printers on the relay", func() bool {
		var ps []printer
		call("GET", "/api/v1/printers", nil, &ps)
		found = found[:0]
		for _, p := range ps {
			if p.Source == "discovered" && p.Discovery != nil {
				found = append(found, p)
			}
		}
		return len(found) == 2
	})
	bySerial := map[string]printer{}
	for _, p := range found {
		bySerial[p.Discovery.Serial] = p
		if p.Enabled {
			t.Errorf("%s is enabled before an admin enabled it", p.Name)
		}
	}
	ricoh, ok := bySerial["W492KB03439"]
	if !ok || ricoh.Discovery.Model != "Aficio MP C3002" || ricoh.Discovery.MAC != "00:26:73:54:e2:6a" ||
		ricoh.Address != "127.0.4.1" || ricoh.Discovery.PageCount == nil || *ricoh.Discovery.PageCount != 271871 {
		t.Fatalf("ricoh: %+v %+v", ricoh, ricoh.Discovery)
	}
	if hp, ok := bySerial["VNCRC48198"]; !ok || hp.Discovery.Model != "LaserJet MFP M129-M134" {
		t.Fatalf("hp: %+v", bySerial)
	}

	if code := call("PATCH", "/api/v1/printers/"+ricoh.ID, map[string]any{"enabled": true, "name": "2nd floor"}, nil); code != http.StatusOK {
		t.Fatalf("PATCH: %d", code)
	}
	waitFor(t, ctx, "the agent gets the enabled printer", func() bool {
		for _, p := range d.AgentStatus().Printers {
			if p.ID == ricoh.ID && p.Enabled && p.Name == "2nd floor" {
				return true
			}
		}
		return false
	})

	// An admin asks for a sweep now, through the relay and the tunnel.
	if code := call("POST", "/api/v1/agents/"+d.AgentStatus().AgentID+"/discover", nil, nil); code != http.StatusAccepted {
		t.Fatalf("discover now: %d", code)
	}
}
