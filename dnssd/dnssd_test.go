package dnssd

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func testService() Service {
	return Service{
		Instance: "Acme HQ Secure Print",
		Host:     "printhost",
		Port:     8631,
		TXT: TXT{
			{"txtvers", "1"}, {"qtotal", "1"}, {"rp", "ipp/print"}, {"ty", "edgeprint Secure Print"},
			{"URF", "V1.4,CP1,PQ3-4-5,RS300-600,W8,SRGB24,DM1"}, {"pdl", "application/pdf,image/urf"},
			{"UUID", "6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b"}, {"TLS", "1.2"}, {"air", "username,password"},
		},
	}
}

func TestValidate(t *testing.T) {
	s := testService()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.TXT = append(s.TXT, [2]string{"note", strings.Repeat("x", 251)})
	if err := s.Validate(); err == nil {
		t.Error("a 255+ byte TXT string passed")
	}
}

func TestRecordsHaveSubtypesAndPrinterPortZero(t *testing.T) {
	zone := testService().Zone("print.example.com")
	for _, want := range []string{
		"b._dns-sd._udp.print.example.com.\t4500\tIN\tPTR\tprint.example.com.",
		"lb._dns-sd._udp.print.example.com.",
		"_universal._sub._ipp._tcp.print.example.com.\t4500\tIN\tPTR\tAcme\\ HQ\\ Secure\\ Print._ipp._tcp.print.example.com.",
		"_print._sub._ipps._tcp.print.example.com.",
		"SRV\t0 0 8631 printhost.print.example.com.",
		"SRV\t0 0 0 printhost.print.example.com.",
		`"URF=V1.4,CP1,PQ3-4-5,RS300-600,W8,SRGB24,DM1"`,
	} {
		if !strings.Contains(zone, want) {
			t.Errorf("zone lacks %q:\n%s", want, zone)
		}
	}
}

func digPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("dig")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("dig not installed (Debian: dnsutils)")
		}
		t.Fatal("dig not installed (Debian: dnsutils)")
	}
	return p
}

// dig asks the responder, as a one-shot mDNS query to its address, for
// the AirPrint subtype iOS browses, and must get the instance, its SRV,
// its TXT (with URF) and the host's address.
func TestDigSubtypeQuery(t *testing.T) {
	dig := digPath(t)
	r, err := New(Config{Service: testService(), Interfaces: []string{"none"}, Unicast: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	port := r.UnicastAddr().(*net.UDPAddr).Port

	for _, tc := range []struct{ name, qtype string }{
		{"_universal._sub._ipp._tcp.local", "PTR"},
		{"_print._sub._ipps._tcp.local", "PTR"},
		{"_ipp._tcp.local", "PTR"},
		{`Acme\032HQ\032Secure\032Print._ipps._tcp.local`, "SRV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, dig, "@127.0.0.1", "-p", itoa(port), "+time=2", "+tries=1",
				"+noall", "+answer", "+additional", tc.name, tc.qtype).CombinedOutput()
			if err != nil {
				t.Fatalf("dig: %v\n%s", err, out)
			}
			s := strings.Join(strings.Fields(string(out)), " ")
			svc := strings.TrimPrefix(tc.name, "_universal._sub.")
			svc = strings.TrimPrefix(svc, "_print._sub.")
			svc = strings.TrimPrefix(svc, `Acme\032HQ\032Secure\032Print.`)
			wants := []string{
				"Acme\\032HQ\\032Secure\\032Print." + svc + ".",
				"SRV 0 0 8631 printhost.local.",
				"printhost.local. 10 IN A 127.0.0.1",
			}
			if tc.qtype == "PTR" { // TXT comes with a browse answer
				wants = append(wants, "URF=V1.4,CP1,PQ3-4-5,RS300-600,W8,SRGB24,DM1", "air=username,password")
			}
			for _, want := range wants {
				if !strings.Contains(s, want) {
					t.Errorf("dig output lacks %q:\n%s", want, s)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// While probing, an answer claiming our instance name with other data is
// a conflict.
func TestProbeConflict(t *testing.T) {
	r, err := New(Config{Service: testService(), Interfaces: []string{"none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	other := new(dns.Msg)
	other.Response = true
	other.Answer = []dns.RR{&dns.SRV{
		Hdr:    dns.RR_Header{Name: "Acme\\032HQ\\032Secure\\032Print._ipp._tcp.local.", Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 120},
		Port:   631,
		Target: "otherhost.local.",
	}}
	b, _ := other.Pack()
	same := new(dns.Msg)
	same.Response = true
	same.Answer = []dns.RR{r.records[2]}
	sb, _ := same.Pack()

	r.probing = true
	r.handle(sb, &net.UDPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 5353}, nil)
	if r.conflict {
		t.Fatal("our own records counted as a conflict")
	}
	r.handle(b, &net.UDPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 5353}, nil)
	if !r.conflict {
		t.Fatal("another host's SRV for our name is not a conflict")
	}
}

func TestSetTXT(t *testing.T) {
	r, err := New(Config{Service: testService(), Interfaces: []string{"none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.SetTXT(TXT{{"URF", "V1.4,W8"}}); err != nil {
		t.Fatal(err)
	}
	q := new(dns.Msg)
	q.SetQuestion(`Acme\ HQ\ Secure\ Print._ipp._tcp.local.`, dns.TypeTXT)
	resp := r.answer(q)
	if resp == nil || len(resp.Answer) != 1 || resp.Answer[0].(*dns.TXT).Txt[0] != "URF=V1.4,W8" {
		t.Fatalf("answer after SetTXT: %v", resp)
	}
	if err := r.SetTXT(TXT{{"note", strings.Repeat("x", 300)}}); err == nil {
		t.Error("a 300-byte TXT string was accepted")
	}
}
