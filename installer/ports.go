package installer

import (
	"fmt"
	"net"
	"strconv"

	"github.com/edgeprint/edgeprint/agent"
)

// Port is one inbound port the agent listens on.
type Port struct {
	Number int
	Proto  string // "tcp" or "udp"
	What   string // shown in rule descriptions
}

func (p Port) String() string { return fmt.Sprintf("%d/%s", p.Number, p.Proto) }

// Ports lists the inbound ports of cfg's enabled listeners, in a stable
// order. Loopback-only listeners (the status page) need no rule. mDNS
// (5353/udp) is opened while the queue is advertised (ipp.dnssd not off,
// queue not on loopback).
func Ports(cfg agent.Config) ([]Port, error) {
	listeners := []struct{ what, addr string }{
		{"ipp", cfg.IPP.Listen},
		{"elatec-tcpconv", cfg.CardReaders.ElatecTCPConv},
		{"elatec-tcpconv2", cfg.CardReaders.ElatecTCPConv2},
		{"rfideas-241", cfg.CardReaders.RFIDeas241},
		{"convenience-auth", cfg.Panel.ConvenienceAuthListen},
		{"sso", cfg.Panel.SSOListen},
	}
	var out []Port
	seen := map[Port]bool{}
	for _, l := range listeners {
		if l.addr == agent.Off {
			continue
		}
		host, portText, err := net.SplitHostPort(l.addr)
		if err != nil {
			return nil, fmt.Errorf("installer: %s listen address %q: %w", l.what, l.addr, err)
		}
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			continue
		}
		n, err := strconv.Atoi(portText)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("installer: %s listen address %q: port must be 1-65535", l.what, l.addr)
		}
		p := Port{Number: n, Proto: "tcp", What: l.what}
		key := Port{Number: n, Proto: "tcp"}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	if !cfg.IPP.DNSSD.Off && len(out) > 0 && out[0].What == "ipp" {
		out = append(out, Port{Number: 5353, Proto: "udp", What: "mdns"})
	}
	return out, nil
}
