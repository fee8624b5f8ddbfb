package snmp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// MaxAddresses bounds how many addresses one sweep may expand to (a /16).
const MaxAddresses = 1 << 16

// ErrBadTarget wraps every target parsing error.
var ErrBadTarget = errors.New("snmp: bad target")

// Target is one address to probe and the credentials to try, in order.
type Target struct {
	Host        string
	Port        int
	Credentials []Credential
}

// Address is host:port, or host alone for the default port.
func (t Target) Address() string {
	if t.Port == 0 || t.Port == DefaultPort {
		return t.Host
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// ParseTargets expands target specs into addresses. A spec is a CIDR
// ("10.1.0.0/24", network and broadcast left out), a range ("10.1.0.10-
// 10.1.0.50" or "10.1.0.10-50"), an address or host name, or any of the
// address forms with ":port" ("printer.lan:1161", "[fe80::1]:161"). Every
// target gets creds.
func ParseTargets(specs []string, creds []Credential) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	for _, spec := range specs {
		ts, err := parseTarget(strings.TrimSpace(spec))
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			t.Credentials = creds
			if key := t.Address(); !seen[key] {
				seen[key] = true
				out = append(out, t)
			}
		}
		if len(out) > MaxAddresses {
			return nil, fmt.Errorf("%w: more than %d addresses", ErrBadTarget, MaxAddresses)
		}
	}
	return out, nil
}

func parseTarget(spec string) ([]Target, error) {
	if spec == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadTarget)
	}
	host, port := spec, DefaultPort
	if h, p, err := net.SplitHostPort(spec); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: %q: port %q", ErrBadTarget, spec, p)
		}
		host, port = h, n
	}
	if strings.Contains(host, "/") {
		pfx, err := netip.ParsePrefix(host)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadTarget, spec, err)
		}
		return expandPrefix(spec, pfx.Masked(), port)
	}
	if a, b, ok := strings.Cut(host, "-"); ok {
		if from, err := netip.ParseAddr(a); err == nil {
			return expandRange(spec, from, b, port)
		}
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return []Target{{Host: addr.String(), Port: port}}, nil
	}
	if !validHostname(host) {
		return nil, fmt.Errorf("%w: %q is not an address, range, CIDR or host name", ErrBadTarget, spec)
	}
	return []Target{{Host: host, Port: port}}, nil
}

func expandPrefix(spec string, pfx netip.Prefix, port int) ([]Target, error) {
	bits := pfx.Addr().BitLen() - pfx.Bits()
	if bits > 16 {
		return nil, fmt.Errorf("%w: %q: larger than a /%d", ErrBadTarget, spec, pfx.Addr().BitLen()-16)
	}
	var out []Target
	a := pfx.Addr()
	n := 1 << bits
	for i := 0; i < n; i++ {
		skip := pfx.Addr().Is4() && bits >= 2 && (i == 0 || i == n-1)
		if !skip {
			out = append(out, Target{Host: a.String(), Port: port})
		}
		a = a.Next()
	}
	return out, nil
}

func expandRange(spec string, from netip.Addr, end string, port int) ([]Target, error) {
	to, err := netip.ParseAddr(end)
	if err != nil && from.Is4() {
		// "10.0.0.10-50": the end replaces the last octet.
		n, err2 := strconv.Atoi(end)
		if err2 != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("%w: %q: range end %q", ErrBadTarget, spec, end)
		}
		b := from.As4()
		b[3] = byte(n)
		to, err = netip.AddrFrom4(b), nil
	}
	if err != nil || from.BitLen() != to.BitLen() || to.Less(from) {
		return nil, fmt.Errorf("%w: %q: range must go up within one address family", ErrBadTarget, spec)
	}
	var out []Target
	for a := from; ; a = a.Next() {
		out = append(out, Target{Host: a.String(), Port: port})
		if a == to {
			break
		}
		if len(out) >= MaxAddresses {
			return nil, fmt.Errorf("%w: %q: more than %d addresses", ErrBadTarget, spec, MaxAddresses)
		}
	}
	return out, nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}
