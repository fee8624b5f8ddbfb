package snmp

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/snmp/snmprec"
)

// serviceTable is a synthetic recording shaped like a vendor service-detail
// table: rows at unrelated indices, picked by (class, type) in columns 2
// and 3, a text value in column 4 and a number in column 5. The OIDs are
// made up under Xerox's enterprise for the test; see README for profiles.
const serviceTable = `1.3.6.1.2.1.1.1.0|4|Xerox AltaLink C8045
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.253.8.62.1.35.2.3.1.1
1.3.6.1.4.1.253.99.1.1.2.7|2|5
1.3.6.1.4.1.253.99.1.1.2.12|2|5
1.3.6.1.4.1.253.99.1.1.2.31|2|9
1.3.6.1.4.1.253.99.1.1.3.7|2|1
1.3.6.1.4.1.253.99.1.1.3.12|2|2
1.3.6.1.4.1.253.99.1.1.3.31|2|1
1.3.6.1.4.1.253.99.1.1.4.7|4|old.example
1.3.6.1.4.1.253.99.1.1.4.12|4|
1.3.6.1.4.1.253.99.1.1.4.31|4|untouched
1.3.6.1.4.1.253.99.1.1.5.7|2|0
1.3.6.1.4.1.253.99.1.1.5.12|2|443
1.3.6.1.4.1.253.99.1.1.5.31|2|0
`

func TestApply(t *testing.T) {
	w, err := snmprec.Parse(strings.NewReader(serviceTable))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := snmprec.NewAgent(w, "private", nil)
	sim.Writable = true
	sim.Serve(pc)
	defer sim.Close()
	target := Target{Host: "127.0.0.1", Port: pc.LocalAddr().(*net.UDPAddr).Port,
		Credentials: []Credential{{Community: "private"}}}
	profile := SetProfile{
		Name: "remote-auth", Enterprise: 253, Table: "1.3.6.1.4.1.253.99.1.1", KeyColumns: []int{2, 3},
		Writes: []SetRow{
			{Key: []int64{5, 1}, Column: 4, Type: "string", Value: "{agent_host}"},
			{Key: []int64{5, 2}, Column: 5, Type: "integer", Value: "{agent_port}"},
		},
	}
	opts := ApplyOptions{Vars: map[string]string{"agent_host": "agent.acme.example", "agent_port": "15042"}, Timeout: time.Second}

	tests := []struct {
		name    string
		profile SetProfile
		dry     bool
		changes int
		err     error
	}{
		{"dry run", profile, true, 2, nil},
		{"apply", profile, false, 2, nil},
		{"again changes nothing", profile, false, 0, nil},
		{"wrong vendor", func() SetProfile { p := profile; p.Enterprise = 11; p.Table = "1.3.6.1.4.1.11.1"; return p }(), false, 0, ErrWrongVendor},
		{"no such row", func() SetProfile {
			p := profile
			p.Writes = []SetRow{{Key: []int64{5, 9}, Column: 4, Type: "string", Value: "x"}}
			return p
		}(), false, 0, ErrNoRow},
		{"bad profile", SetProfile{Name: "x"}, false, 0, ErrBadProfile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts
			o.DryRun = tc.dry
			changes, err := Apply(t.Context(), target, tc.profile, o)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if len(changes) != tc.changes {
				t.Fatalf("%d changes, want %d: %+v", len(changes), tc.changes, changes)
			}
		})
	}
	c, err := dial(t.Context(), target.Host, target.Port, target.Credentials[0], time.Second, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	vs := newVarSet(nil)
	if err := getScalars(t.Context(), c, vs, []string{"1.3.6.1.4.1.253.99.1.1.4.7", "1.3.6.1.4.1.253.99.1.1.5.12", "1.3.6.1.4.1.253.99.1.1.4.31"}); err != nil {
		t.Fatal(err)
	}
	if got := vs.str("1.3.6.1.4.1.253.99.1.1.4.7"); got != "agent.acme.example" {
		t.Errorf("host = %q", got)
	}
	if n, _ := vs.int("1.3.6.1.4.1.253.99.1.1.5.12"); n != 15042 {
		t.Errorf("port = %d", n)
	}
	if got := vs.str("1.3.6.1.4.1.253.99.1.1.4.31"); got != "untouched" {
		t.Errorf("other row = %q", got)
	}
}
