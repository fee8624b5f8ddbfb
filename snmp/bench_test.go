package snmp

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/edgeprint/edgeprint/snmp/snmprec"
)

func loadWalk(b *testing.B, name string) *snmprec.Walk {
	b.Helper()
	f, err := os.Open(filepath.Join(testdataDir(b), name+".snmprec"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w, err := snmprec.Parse(f)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkDecode decodes the largest printer capture.
func BenchmarkDecode(b *testing.B) {
	w := loadWalk(b, "hp-color-laserjet-flow-mfp-m880")
	pdus := make([]gosnmp.SnmpPDU, len(w.Records))
	for i, r := range w.Records {
		pdus[i] = r.PDU
	}
	for b.Loop() {
		Decode("192.0.2.1", pdus)
	}
}

// BenchmarkSweep sweeps 32 simulated printers (package snmprec) on
// 127.0.6.1-32; the site-wide numbers are bench/discovery's.
func BenchmarkSweep(b *testing.B) {
	w := loadWalk(b, "ricoh-aficio-mp-c3002")
	a := snmprec.NewAgent(w, "", nil)
	defer a.Close()
	first, err := net.ListenPacket("udp4", "127.0.6.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := first.LocalAddr().(*net.UDPAddr).Port
	a.Serve(first)
	for i := 2; i <= 32; i++ {
		pc, err := net.ListenPacket("udp4", "127.0.6."+strconv.Itoa(i)+":"+strconv.Itoa(port))
		if err != nil {
			b.Skip(err)
		}
		a.Serve(pc)
	}
	targets, err := ParseTargets([]string{"127.0.6.1-32:" + strconv.Itoa(port)}, []Credential{{Community: "public"}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ps, err := Sweep(b.Context(), targets, Options{Rate: -1, Timeout: time.Second})
		if err != nil || len(ps) != 32 {
			b.Fatalf("%d printers, %v", len(ps), err)
		}
	}
}
