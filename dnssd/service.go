package dnssd

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/miekg/dns"
)

// Service is the print queue as DNS-SD shows it.
type Service struct {
	Instance string   // instance name shown to users, "Acme HQ Secure Print"; at most 63 bytes
	Host     string   // host name, without ".local"
	Port     int      // IPP/IPPS port (one port serves both)
	Addrs    []net.IP // addresses of Host; empty: those of the interfaces served
	TXT      TXT      // keys of the _ipp and _ipps records
}

// TXT is the key=value pairs of a TXT record, kept in order.
type TXT [][2]string

// maxTXTString is the longest character-string a TXT record holds.
const maxTXTString = 255

// Strings is the TXT record's strings, key=value.
func (t TXT) Strings() []string {
	out := make([]string, len(t))
	for i, kv := range t {
		out[i] = kv[0] + "=" + kv[1]
	}
	return out
}

// Validate checks the service, TXT limits included.
func (s Service) Validate() error {
	switch {
	case s.Instance == "" || len(s.Instance) > 63:
		return errors.New("dnssd: instance name must be 1 to 63 bytes")
	case s.Host == "" || len(s.Host) > 63 || strings.ContainsAny(s.Host, ". "):
		return fmt.Errorf("dnssd: host name %q must be one label", s.Host)
	case s.Port <= 0 || s.Port > 65535:
		return fmt.Errorf("dnssd: port %d", s.Port)
	}
	for _, kv := range s.TXT {
		if len(kv[0])+1+len(kv[1]) > maxTXTString {
			return fmt.Errorf("dnssd: TXT key %s is longer than %d bytes", kv[0], maxTXTString)
		}
	}
	return nil
}

// Service types the queue is advertised as. _printer._tcp on port 0 says
// "no LPD here" so clients do not look for one (Bonjour Printing 1.2).
const (
	TypeIPP     = "_ipp._tcp"
	TypeIPPS    = "_ipps._tcp"
	TypePrinter = "_printer._tcp"
)

// Subtypes of _ipp and _ipps: iOS browses _universal, others _print.
var Subtypes = []string{"_universal", "_print"}

const ttlHost, ttlService = 120, 4500

// Records is every record of s in domain (".local." for mDNS, the
// company's zone for unicast DNS-SD), as RFC 6763 lays them out.
func (s Service) Records(domain string) []dns.RR {
	domain = dns.Fqdn(domain)
	host := dns.Fqdn(s.Host + "." + strings.TrimPrefix(domain, "."))
	var rrs []dns.RR
	hdr := func(name string, t uint16, ttl uint32) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	meta := "_services._dns-sd._udp." + domain
	for _, typ := range []string{TypeIPP, TypeIPPS, TypePrinter} {
		svc := typ + "." + domain
		inst := canonical(escape(s.Instance) + "." + svc)
		port, txt := s.Port, s.TXT.Strings()
		if typ == TypePrinter {
			port, txt = 0, []string{""}
		}
		if len(txt) == 0 {
			txt = []string{""}
		}
		rrs = append(rrs,
			&dns.PTR{Hdr: hdr(meta, dns.TypePTR, ttlService), Ptr: svc},
			&dns.PTR{Hdr: hdr(svc, dns.TypePTR, ttlService), Ptr: inst},
			&dns.SRV{Hdr: hdr(inst, dns.TypeSRV, ttlHost), Port: uint16(port), Target: host},
			&dns.TXT{Hdr: hdr(inst, dns.TypeTXT, ttlService), Txt: txt},
		)
		if typ == TypePrinter {
			continue
		}
		for _, sub := range Subtypes {
			rrs = append(rrs, &dns.PTR{Hdr: hdr(sub+"._sub."+svc, dns.TypePTR, ttlService), Ptr: inst})
		}
	}
	for _, ip := range s.Addrs {
		if ip4 := ip.To4(); ip4 != nil {
			rrs = append(rrs, &dns.A{Hdr: hdr(host, dns.TypeA, ttlHost), A: ip4})
		} else {
			rrs = append(rrs, &dns.AAAA{Hdr: hdr(host, dns.TypeAAAA, ttlHost), AAAA: ip})
		}
	}
	return rrs
}

// canonical is name in the presentation form miekg/dns unpacks names to
// (\032 for a space...), so names from the wire compare equal to ours.
func canonical(name string) string {
	buf := make([]byte, 256)
	n, err := dns.PackDomainName(name, buf, 0, nil, false)
	if err != nil {
		return name
	}
	out, _, err := dns.UnpackDomainName(buf[:n], 0)
	if err != nil {
		return name
	}
	return out
}

// escape makes an instance name one DNS label in presentation format:
// dots and backslashes escaped, spaces kept (RFC 6763 4.3).
func escape(instance string) string {
	r := strings.NewReplacer(`\`, `\\`, `.`, `\.`)
	return r.Replace(instance)
}

// Zone is the unicast DNS-SD records of s for the company zone domain
// ("print.example.com."), with the browsing-domain pointers
// (b._dns-sd._udp, lb._dns-sd._udp) that let clients find them, in
// zone-file format, one record a line.
func (s Service) Zone(domain string) string {
	domain = dns.Fqdn(domain)
	rrs := s.Records(domain)
	for _, b := range []string{"b", "lb"} {
		rrs = append([]dns.RR{&dns.PTR{
			Hdr: dns.RR_Header{Name: b + "._dns-sd._udp." + domain, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttlService},
			Ptr: domain,
		}}, rrs...)
	}
	var lines []string
	seen := map[string]bool{}
	for _, rr := range rrs {
		l := rr.String()
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
