package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/edgeprint/edgeprint/agent"
)

// runDNSSDZone prints the unicast DNS-SD records of the agent's queue,
// for the company DNS at sites where mDNS does not cross subnets.
func runDNSSDZone(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dnssd-zone", "edgeprint dnssd-zone --domain ZONE --addr IP[,IP] [--host NAME] [--uuid UUID] [--config FILE]", stderr)
	configPath := fs.String("config", "", "agent configuration file (JSON)")
	domain := fs.String("domain", "", "DNS zone clients browse, e.g. print.example.com (required)")
	host := fs.String("host", "", "the agent machine's name in that zone (default: this host's name)")
	addrList := fs.String("addr", "", "the agent machine's addresses, comma-separated (required)")
	uuid := fs.String("uuid", "", "the queue's UUID (default: read from the agent database; stop the agent first)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *domain == "" || *addrList == "" {
		fs.Usage()
		return errors.New("dnssd-zone: --domain and --addr are required")
	}
	var addrs []net.IP
	for _, s := range strings.Split(*addrList, ",") {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			return fmt.Errorf("dnssd-zone: %q is not an IP address", s)
		}
		addrs = append(addrs, ip)
	}
	cfg, err := agent.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if *host == "" {
		h, _ := os.Hostname()
		*host, _, _ = strings.Cut(h, ".")
	}
	if *uuid == "" {
		if *uuid, err = agent.QueueUUIDOf(cfg.DataDir); err != nil {
			return fmt.Errorf("dnssd-zone: %w (or pass --uuid)", err)
		}
	}
	zone, err := agent.DNSSDZone(cfg, *uuid, *domain, *host, addrs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "; unicast DNS-SD records of %q (RFC 6763), for zone %s\n", cfg.Site+" Secure Print", *domain)
	_, err = io.WriteString(stdout, zone)
	return err
}
