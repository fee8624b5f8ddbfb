package mdnsbrowse

import (
	"net"
	"strings"
	"unicode/utf8"
)

// Limits on what one announcement may carry.
const (
	maxTXTStrings = 64
	maxTXTLen     = 255 // a DNS character-string
	maxAddrs      = 16
	maxNameLen    = 255
)

// FromEntry builds a Device from one DNS-SD answer. It is pure: any input
// gives a Device, with oversized or malformed parts dropped.
func FromEntry(service, instance, host string, port int, ipv4, ipv6 []net.IP, text []string) Device {
	d := Device{
		Service:  service,
		Instance: clean(instance, maxNameLen),
		Host:     clean(host, maxNameLen),
		IPv4:     limitIPs(ipv4),
		IPv6:     limitIPs(ipv6),
	}
	if port > 0 && port < 65536 {
		d.Port = port
	}
	txt := ParseTXT(text)
	d.Manufacturer = txt["usb_mfg"]
	d.Model = firstNonEmpty(txt["usb_mdl"], strings.Trim(txt["product"], "()"), txt["ty"])
	if d.Manufacturer == "" {
		d.Manufacturer, _, _ = strings.Cut(txt["ty"], " ")
	}
	d.Location = txt["note"]
	d.UUID = txt["uuid"]
	d.AdminURL = txt["adminurl"]
	d.Color = boolKey(txt, "color")
	d.Duplex = boolKey(txt, "duplex")
	for _, p := range strings.Split(txt["pdl"], ",") {
		if p = strings.TrimSpace(p); p != "" && len(d.PDLs) < 32 {
			d.PDLs = append(d.PDLs, p)
		}
	}
	return d
}

// ParseTXT reads key=value strings into a map with lower-case keys; the
// first of a repeated key wins (RFC 6763 section 6.4).
func ParseTXT(text []string) map[string]string {
	out := map[string]string{}
	for i, s := range text {
		if i >= maxTXTStrings {
			break
		}
		if len(s) > maxTXTLen {
			s = s[:maxTXTLen]
		}
		k, v, _ := strings.Cut(s, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		if _, dup := out[k]; !dup {
			out[k] = clean(v, maxTXTLen)
		}
	}
	return out
}

func boolKey(txt map[string]string, k string) *bool {
	v, ok := txt[k]
	if !ok {
		return nil
	}
	b := strings.EqualFold(v, "T") || strings.EqualFold(v, "true")
	return &b
}

func limitIPs(ips []net.IP) []net.IP {
	var out []net.IP
	for _, ip := range ips {
		if len(out) >= maxAddrs {
			break
		}
		if ip.To16() != nil {
			out = append(out, ip)
		}
	}
	return out
}

func clean(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
