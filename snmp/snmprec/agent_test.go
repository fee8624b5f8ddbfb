package snmprec

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

func sharedWalks(t *testing.T) []string {
	t.Helper()
	dir := os.Getenv("EDGEPRINT_SNMP_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "snmp")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.snmprec"))
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("no walks in %s", dir)
		}
		t.Skipf("no walks in %s", dir)
	}
	return files
}

// TestServeWalks walks every capture through the agent with gosnmp, v1 and
// v2c, and gets back every record.
func TestServeWalks(t *testing.T) {
	for _, f := range sharedWalks(t) {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".snmprec"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			w, err := Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			a := NewAgent(w, "public", nil)
			a.Serve(pc)
			t.Cleanup(func() { a.Close() })
			for _, ver := range []gosnmp.SnmpVersion{gosnmp.Version1, gosnmp.Version2c} {
				g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(pc.LocalAddr().(*net.UDPAddr).Port), Community: "public",
					Version: ver, Timeout: time.Second, Retries: 1, MaxOids: 16}
				if err := g.Connect(); err != nil {
					t.Fatal(err)
				}
				var got []gosnmp.SnmpPDU
				if ver == gosnmp.Version1 {
					got, err = g.WalkAll(".1.3")
				} else {
					got, err = g.BulkWalkAll(".1.3")
				}
				g.Conn.Close()
				if err != nil {
					t.Fatalf("%v walk: %v", ver, err)
				}
				want := len(w.Records)
				if ver == gosnmp.Version1 {
					want = 0
					for _, r := range w.Records {
						if r.PDU.Type != gosnmp.Counter64 {
							want++
						}
					}
				}
				// gosnmp's walks stop at a NULL record, as pysnmp does (README caveat).
				if len(got) != want && !hasNull(w) {
					t.Fatalf("%v: walked %d records, want %d", ver, len(got), want)
				}
			}
		})
	}
}

func hasNull(w *Walk) bool {
	for _, r := range w.Records {
		if r.PDU.Type == gosnmp.Null {
			return true
		}
	}
	return false
}

func TestWrongCommunityDropped(t *testing.T) {
	w, err := Parse(strings.NewReader("1.3.6.1.2.1.1.1.0|4|x\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := NewAgent(w, "public", nil)
	g := &gosnmp.GoSNMP{Community: "private", Version: gosnmp.Version2c}
	req, err := g.SnmpEncodePacket(gosnmp.GetRequest, []gosnmp.SnmpPDU{{Name: ".1.3.6.1.2.1.1.1.0", Type: gosnmp.Null}}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Answer(req)
	if err != nil || out != nil {
		t.Fatalf("answer = %x, %v; want nothing", out, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("1.3.6.1.2.1.1.1.0|4|HP LaserJet\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11\n")
	f.Add("1.3.6.1.2.1.2.2.1.6.1|4x|001ba90ba752\n1.3.6.1.2.1.1.3.0|67|42\n1.3.6.1.2.1.4.20.1.1.1|64|10.0.0.1\n")
	f.Add("1.3|70|18446744073709551615\n1.3.6|5|\n")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		a := NewAgent(w, "", nil)
		g := &gosnmp.GoSNMP{Community: "public", Version: gosnmp.Version2c}
		for _, r := range w.Records {
			req, err := g.SnmpEncodePacket(gosnmp.GetBulkRequest, []gosnmp.SnmpPDU{{Name: r.PDU.Name, Type: gosnmp.Null}}, 0, 5)
			if err != nil {
				continue
			}
			if _, err := a.Answer(req); err != nil {
				t.Fatalf("answer %s: %v", r.OID, err)
			}
		}
	})
}

func FuzzAnswer(f *testing.F) {
	g := &gosnmp.GoSNMP{Community: "public", Version: gosnmp.Version2c}
	req, _ := g.SnmpEncodePacket(gosnmp.GetBulkRequest, []gosnmp.SnmpPDU{{Name: ".1.3.6", Type: gosnmp.Null}}, 0, 10)
	f.Add(req)
	f.Add([]byte{0x30, 0x00})
	w, _ := Parse(strings.NewReader("1.3.6.1.2.1.1.1.0|4|x\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11\n"))
	a := NewAgent(w, "", nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = a.Answer(b)
	})
}
