package lpr

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"
)

// SourcePorts says which local port a connection comes from.
type SourcePorts int

const (
	// AnyPort lets the system pick an ephemeral port. Most printers and
	// Windows/CUPS LPD services accept it.
	AnyPort SourcePorts = iota
	// PreferPrivileged tries the RFC 1179 ports 721–731 and falls back to
	// an ephemeral port when all are busy or the agent may not bind them
	// (not root, or the range taken by another LPR client).
	PreferPrivileged
	// RequirePrivileged fails when no port in 721–731 can be bound: for
	// BSD-style servers that reject anything else.
	RequirePrivileged
)

// The source port range of RFC 1179 section 3.1.
const (
	FirstPrivilegedPort = 721
	LastPrivilegedPort  = 731
)

// ErrNoPrivilegedPort is RequirePrivileged when no port in 721–731 could be
// bound.
var ErrNoPrivilegedPort = errors.New("lpr: no source port free in 721-731")

// ParseSourcePorts reads a configuration value: "any", "prefer-privileged"
// or "privileged".
func ParseSourcePorts(s string) (SourcePorts, error) {
	switch s {
	case "", "any":
		return AnyPort, nil
	case "prefer-privileged":
		return PreferPrivileged, nil
	case "privileged":
		return RequirePrivileged, nil
	}
	return AnyPort, fmt.Errorf("lpr: source ports %q is not any, prefer-privileged or privileged", s)
}

// dial connects to addr from a port chosen per sp. Ports are tried from a
// random start so concurrent senders and connections still in TIME_WAIT
// from the previous job to the same server spread over the range.
func dial(ctx context.Context, addr string, sp SourcePorts, timeout time.Duration) (net.Conn, error) {
	if sp == AnyPort {
		d := net.Dialer{Timeout: timeout}
		return d.DialContext(ctx, "tcp", addr)
	}
	n := LastPrivilegedPort - FirstPrivilegedPort + 1
	start := rand.IntN(n)
	var last error
	for i := range n {
		port := FirstPrivilegedPort + (start+i)%n
		d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{Port: port}, Control: reuseAddr}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn, nil
		}
		if !isBindError(err) {
			return nil, err // the server's answer, not the port's: no use trying others
		}
		last = err
	}
	if sp == RequirePrivileged {
		return nil, fmt.Errorf("%w: %v", ErrNoPrivilegedPort, last)
	}
	d := net.Dialer{Timeout: timeout}
	return d.DialContext(ctx, "tcp", addr)
}
