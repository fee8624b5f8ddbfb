package dnssd

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// FuzzHandle feeds arbitrary packets to the responder as if they came from
// the network: nothing panics, and whatever it sends back is a DNS message
// that unpacks.
func FuzzHandle(f *testing.F) {
	r, err := New(Config{Service: testService(), Interfaces: []string{"none"}})
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	svc := testService()
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"_universal._sub._ipp._tcp.local.", dns.TypePTR},
		{"_ipps._tcp.local.", dns.TypePTR},
		{"_services._dns-sd._udp.local.", dns.TypePTR},
		{svc.Host + ".local.", dns.TypeA},
		{"printer.local.", dns.TypeANY},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		b, _ := m.Pack()
		f.Add(b, true)
		f.Add(b, false)
	}
	probe, _ := r.probeQuery().Pack()
	f.Add(probe, true)
	ann, _ := r.announcement(false).Pack()
	f.Add(ann, true) // a response: looked at for conflicts only
	f.Add([]byte{0, 0, 0, 0, 0, 1}, true)

	mdnsSrc := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: mdnsPort}
	oneShot := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	f.Fuzz(func(t *testing.T, pkt []byte, multicast bool) {
		src := oneShot
		if multicast {
			src = mdnsSrc
		}
		r.handle(pkt, src, func(b []byte, _ net.Addr) error {
			var m dns.Msg
			if err := m.Unpack(b); err != nil {
				t.Fatalf("answer does not unpack: %v", err)
			}
			return nil
		})
	})
}
