package agent

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/edgeprint/edgeprint/dnssd"
	"github.com/edgeprint/edgeprint/ipp"
)

// newAdvertiser makes the queue's mDNS responder, or nil when advertising
// is off or pointless (the queue listens on loopback only). A responder
// that cannot start (5353 taken without SO_REUSEPORT...) is logged, not
// fatal: the queue works without it, by address or unicast DNS-SD.
func (a *Agent) newAdvertiser() *dnssd.Responder {
	if a.cfg.IPP.DNSSD.Off {
		return nil
	}
	host, portStr, _ := net.SplitHostPort(a.ippLn.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	port, _ := strconv.Atoi(portStr)
	svc := a.dnssdService(port)
	r, err := dnssd.New(dnssd.Config{
		Service:    svc,
		Interfaces: a.cfg.IPP.DNSSD.Interfaces,
		Logger:     a.log.With("component", "dnssd"),
	})
	if err != nil {
		a.log.Warn("not advertising the queue over mDNS", "err", err)
		return nil
	}
	return r
}

// dnssdService is the queue as DNS-SD shows it.
func (a *Agent) dnssdService(port int) dnssd.Service {
	name, _ := os.Hostname()
	name, _, _ = strings.Cut(name, ".")
	if name == "" {
		name = "edgeprint"
	}
	instance := a.cfg.Site + " Secure Print"
	if len(instance) > 63 {
		instance = instance[:63]
	}
	admin := "https://" + name + ".local:" + strconv.Itoa(port) + "/"
	return dnssd.Service{Instance: instance, Host: name, Port: port, TXT: a.queue.TXT(admin)}
}

// DNSSDZone is the unicast DNS-SD records of the queue cfg describes, in
// the zone domain, for sites where mDNS does not reach the clients
// (edgeprint dnssd-zone). uuid is the queue's (from QueueUUIDOf);
// host and addrs name the agent's machine in that zone.
func DNSSDZone(cfg Config, uuid, domain, host string, addrs []net.IP) (string, error) {
	_, portStr, err := net.SplitHostPort(cfg.IPP.Listen)
	if err != nil {
		return "", fmt.Errorf("agent: ipp.listen: %w", err)
	}
	port, _ := strconv.Atoi(portStr)
	q := ipp.Config{Name: cfg.Site + " Secure Print", UUID: uuid}
	admin := "https://" + host + "." + strings.TrimSuffix(domain, ".") + ":" + portStr + "/"
	svc := dnssd.Service{Instance: q.Name, Host: host, Port: port, Addrs: addrs, TXT: ipp.QueueTXT(q, admin)}
	if len(svc.Instance) > 63 {
		svc.Instance = svc.Instance[:63]
	}
	if err := svc.Validate(); err != nil {
		return "", err
	}
	return svc.Zone(domain), nil
}

// QueueUUIDOf reads the queue's UUID from the agent database in dataDir
// (which a running agent holds locked).
func QueueUUIDOf(dataDir string) (string, error) {
	s, err := OpenStore(filepath.Join(dataDir, "agent.db"))
	if err != nil {
		return "", err
	}
	defer s.Close()
	return s.QueueUUID(newUUID)
}

func (a *Agent) runAdvertiser(ctx context.Context) error {
	if a.mdns == nil {
		<-ctx.Done()
		return nil
	}
	return a.mdns.Run(ctx)
}
