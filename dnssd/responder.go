package dnssd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
)

// mDNS constants (RFC 6762).
var mdnsGroup = &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}

const (
	mdnsPort      = 5353
	probeInterval = 250 * time.Millisecond
	probes        = 3
	announces     = 2
	announceGap   = time.Second
	// legacyTTL caps TTLs in answers to one-shot (non-5353) queries.
	legacyTTL   = 10
	maxPacket   = 9000
	cacheFlush  = 1 << 15
	unicastResp = 1 << 15 // the QU bit of a question's class
	maxRenames  = 100
)

// Config is one responder.
type Config struct {
	Service Service
	// Interfaces are the names of the interfaces to answer on; empty means
	// every interface that is up and does multicast. "none" disables
	// multicast (tests).
	Interfaces []string
	// Unicast, when set ("127.0.0.1:0"), is an address where the responder
	// also answers direct queries (dig @ADDR -p PORT), as to one-shot
	// queries: unicast replies, TTLs capped at 10 s.
	Unicast string
	Logger  *slog.Logger
}

// Responder advertises a Service over mDNS.
type Responder struct {
	log     *slog.Logger
	mcast   *ipv4.PacketConn // nil without multicast
	ifaces  []net.Interface
	unicast net.PacketConn // nil without Unicast

	mu       sync.Mutex
	svc      Service
	records  []dns.RR
	probing  bool
	conflict bool
}

// New binds the responder's sockets; Run starts it.
func New(cfg Config) (*Responder, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Responder{log: cfg.Logger}
	if !(len(cfg.Interfaces) == 1 && cfg.Interfaces[0] == "none") {
		ifaces, err := multicastInterfaces(cfg.Interfaces)
		if err != nil {
			return nil, err
		}
		r.ifaces = ifaces
		if len(ifaces) > 0 {
			if err := r.listenMulticast(); err != nil {
				return nil, err
			}
		}
	}
	if cfg.Unicast != "" {
		c, err := net.ListenPacket("udp4", cfg.Unicast)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("dnssd: %w", err)
		}
		r.unicast = c
	}
	svc := cfg.Service
	if len(svc.Addrs) == 0 {
		svc.Addrs = interfaceAddrs(r.ifaces)
		if r.unicast != nil {
			svc.Addrs = append(svc.Addrs, r.unicast.LocalAddr().(*net.UDPAddr).IP)
		}
	}
	if err := svc.Validate(); err != nil {
		r.Close()
		return nil, err
	}
	r.setService(svc)
	return r, nil
}

func (r *Responder) setService(s Service) {
	r.svc = s
	r.records = s.Records("local.")
}

// SetTXT replaces the TXT record (the queue's capabilities changed) and,
// when advertising by multicast, announces it once.
func (r *Responder) SetTXT(txt TXT) error {
	r.mu.Lock()
	s := r.svc
	s.TXT = txt
	if err := s.Validate(); err != nil {
		r.mu.Unlock()
		return err
	}
	r.setService(s)
	probing := r.probing
	r.mu.Unlock()
	if r.mcast != nil && !probing {
		r.sendAll(r.announcement(false))
	}
	return nil
}

// Instance is the instance name in use (renamed after a conflict).
func (r *Responder) Instance() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.svc.Instance
}

// UnicastAddr is the bound unicast address, nil without one.
func (r *Responder) UnicastAddr() net.Addr {
	if r.unicast == nil {
		return nil
	}
	return r.unicast.LocalAddr()
}

func multicastInterfaces(names []string) ([]net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("dnssd: %w", err)
	}
	var out []net.Interface
	for _, ifi := range all {
		if len(names) > 0 {
			for _, n := range names {
				if n == ifi.Name {
					out = append(out, ifi)
				}
			}
			continue
		}
		if ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 && ifi.Flags&net.FlagLoopback == 0 {
			out = append(out, ifi)
		}
	}
	if len(names) > 0 && len(out) != len(names) {
		return nil, fmt.Errorf("dnssd: interfaces %v: not all exist", names)
	}
	return out, nil
}

func interfaceAddrs(ifaces []net.Interface) []net.IP {
	var ips []net.IP
	for _, ifi := range ifaces {
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				ips = append(ips, n.IP)
			}
		}
	}
	return ips
}

func (r *Responder) listenMulticast() error {
	lc := net.ListenConfig{Control: reuseAddr}
	c, err := lc.ListenPacket(context.Background(), "udp4", fmt.Sprintf("0.0.0.0:%d", mdnsPort))
	if err != nil {
		return fmt.Errorf("dnssd: listen on 5353: %w", err)
	}
	pc := ipv4.NewPacketConn(c)
	var joined int
	for i := range r.ifaces {
		if err := pc.JoinGroup(&r.ifaces[i], mdnsGroup); err != nil {
			r.log.Warn("dnssd: cannot join the mDNS group", "interface", r.ifaces[i].Name, "err", err)
			continue
		}
		joined++
	}
	if joined == 0 {
		c.Close()
		return errors.New("dnssd: joined the mDNS group on no interface")
	}
	_ = pc.SetControlMessage(ipv4.FlagInterface, true)
	_ = pc.SetMulticastTTL(255)
	_ = pc.SetMulticastLoopback(true)
	r.mcast = pc
	return nil
}

// Close closes the sockets (Run does it on return).
func (r *Responder) Close() {
	if r.mcast != nil {
		r.mcast.Close()
	}
	if r.unicast != nil {
		r.unicast.Close()
	}
}

// Run probes for the instance name (renaming "Name (2)"... on conflict),
// announces, answers queries until ctx is done, then says goodbye
// (records with TTL 0) and closes.
func (r *Responder) Run(ctx context.Context) error {
	defer r.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	if r.mcast != nil {
		wg.Go(func() { r.serveMulticast(ctx) })
	}
	if r.unicast != nil {
		wg.Go(func() { r.serveUnicast(ctx) })
	}
	go func() { <-ctx.Done(); r.Close() }()
	if r.mcast == nil {
		<-ctx.Done()
		return nil
	}
	if err := r.probe(ctx); err != nil {
		return err
	}
	r.log.Info("dnssd: advertising", "instance", r.Instance())
	for i := range announces {
		r.sendAll(r.announcement(false))
		if i < announces-1 {
			select {
			case <-ctx.Done():
			case <-time.After(announceGap):
			}
		}
	}
	<-ctx.Done()
	r.sendAll(r.announcement(true))
	return nil
}

// probe asks whether anyone else uses the instance name (RFC 6762 8.1),
// renaming until nobody answers for the probe time.
func (r *Responder) probe(ctx context.Context) error {
	base := r.Instance()
	for n := 2; n < maxRenames; n++ {
		r.mu.Lock()
		r.probing, r.conflict = true, false
		r.mu.Unlock()
		for range probes {
			r.sendAll(r.probeQuery())
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(probeInterval):
			}
		}
		r.mu.Lock()
		conflict := r.conflict
		r.probing = false
		if conflict {
			s := r.svc
			s.Instance = fmt.Sprintf("%s (%d)", base, n)
			r.setService(s)
			r.log.Info("dnssd: name in use, renamed", "instance", s.Instance)
		}
		r.mu.Unlock()
		if !conflict {
			return nil
		}
	}
	return errors.New("dnssd: no free instance name")
}

func (r *Responder) instanceNames() map[string]bool {
	names := map[string]bool{}
	for _, rr := range r.records {
		if rr.Header().Rrtype == dns.TypeSRV {
			names[strings.ToLower(rr.Header().Name)] = true
		}
	}
	return names
}

func (r *Responder) probeQuery() *dns.Msg {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := new(dns.Msg)
	for name := range r.instanceNames() {
		m.Question = append(m.Question, dns.Question{Name: name, Qtype: dns.TypeANY, Qclass: dns.ClassINET | unicastResp})
	}
	for _, rr := range r.records {
		if _, ok := r.instanceNames()[strings.ToLower(rr.Header().Name)]; ok {
			m.Ns = append(m.Ns, rr)
		}
	}
	return m
}

// announcement is every record, unsolicited; goodbye sets TTLs to 0.
func (r *Responder) announcement(goodbye bool) *dns.Msg {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := new(dns.Msg)
	m.Response, m.Authoritative = true, true
	for _, rr := range r.records {
		rr = dns.Copy(rr)
		if goodbye {
			rr.Header().Ttl = 0
		}
		m.Answer = append(m.Answer, withFlush(rr))
	}
	return m
}

// unique records get the cache-flush bit in multicast answers.
func withFlush(rr dns.RR) dns.RR {
	switch rr.Header().Rrtype {
	case dns.TypeSRV, dns.TypeTXT, dns.TypeA, dns.TypeAAAA:
		rr.Header().Class |= cacheFlush
	}
	return rr
}

func (r *Responder) sendAll(m *dns.Msg) {
	b, err := m.Pack()
	if err != nil {
		r.log.Error("dnssd: pack", "err", err)
		return
	}
	for i := range r.ifaces {
		if _, err := r.mcast.WriteTo(b, &ipv4.ControlMessage{IfIndex: r.ifaces[i].Index}, mdnsGroup); err != nil {
			r.log.Debug("dnssd: send", "interface", r.ifaces[i].Name, "err", err)
		}
	}
}

func (r *Responder) serveMulticast(ctx context.Context) {
	buf := make([]byte, maxPacket)
	for ctx.Err() == nil {
		n, cm, src, err := r.mcast.ReadFrom(buf)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("dnssd: read", "err", err)
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		ifIndex := 0
		if cm != nil {
			ifIndex = cm.IfIndex
		}
		r.handle(buf[:n], src, func(b []byte, to net.Addr) error {
			_, err := r.mcast.WriteTo(b, &ipv4.ControlMessage{IfIndex: ifIndex}, to)
			return err
		})
	}
}

func (r *Responder) serveUnicast(ctx context.Context) {
	buf := make([]byte, maxPacket)
	for ctx.Err() == nil {
		n, src, err := r.unicast.ReadFrom(buf)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("dnssd: read", "err", err)
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		r.handle(buf[:n], src, func(b []byte, to net.Addr) error {
			_, err := r.unicast.WriteTo(b, to)
			return err
		})
	}
}

// handle answers one packet. Responses are only looked at for conflicts
// while probing; queries get the records they ask for, with the related
// ones (SRV, TXT, addresses) as additional records.
func (r *Responder) handle(pkt []byte, src net.Addr, send func([]byte, net.Addr) error) {
	var q dns.Msg
	if err := q.Unpack(pkt); err != nil {
		r.log.Debug("dnssd: bad packet", "from", src, "err", err)
		return
	}
	if q.Response {
		r.checkConflict(&q)
		return
	}
	if q.Opcode != dns.OpcodeQuery || len(q.Question) == 0 {
		return
	}
	udp, _ := src.(*net.UDPAddr)
	legacy := udp == nil || udp.Port != mdnsPort || r.mcast == nil
	unicast := legacy
	resp := r.answer(&q)
	if resp == nil {
		return
	}
	for _, qq := range q.Question {
		if qq.Qclass&unicastResp != 0 {
			unicast = true
		}
	}
	if legacy {
		// One-shot query (RFC 6762 6.7): unicast, the query's id and
		// questions echoed, short TTLs, no cache-flush bits.
		resp.Id = q.Id
		resp.Question = q.Question
		for _, set := range [][]dns.RR{resp.Answer, resp.Extra} {
			for _, rr := range set {
				rr.Header().Class &^= cacheFlush
				rr.Header().Ttl = min(rr.Header().Ttl, legacyTTL)
			}
		}
	}
	b, err := resp.Pack()
	if err != nil {
		r.log.Error("dnssd: pack", "err", err)
		return
	}
	to := net.Addr(mdnsGroup)
	if unicast {
		to = src
	}
	if err := send(b, to); err != nil {
		r.log.Debug("dnssd: answer", "to", to, "err", err)
	}
}

// answer builds the response to q, nil when nothing matches.
func (r *Responder) answer(q *dns.Msg) *dns.Msg {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.probing {
		return nil // not ours to defend yet
	}
	resp := new(dns.Msg)
	resp.Response, resp.Authoritative = true, true
	have := map[string]bool{}
	add := func(set *[]dns.RR, rr dns.RR) {
		k := rr.String()
		if have[k] {
			return
		}
		have[k] = true
		*set = append(*set, withFlush(dns.Copy(rr)))
	}
	known := map[string]bool{}
	for _, rr := range q.Answer {
		known[strings.ToLower(dns.Copy(rr).String())] = true
	}
	for _, qq := range q.Question {
		for _, rr := range r.records {
			h := rr.Header()
			if !strings.EqualFold(h.Name, qq.Name) || (qq.Qtype != dns.TypeANY && qq.Qtype != h.Rrtype) {
				continue
			}
			if known[strings.ToLower(rr.String())] {
				continue // known-answer suppression
			}
			add(&resp.Answer, rr)
		}
	}
	if len(resp.Answer) == 0 {
		return nil
	}
	// Additional records: what a client would ask next.
	for _, a := range append([]dns.RR(nil), resp.Answer...) {
		var target string
		switch v := a.(type) {
		case *dns.PTR:
			target = v.Ptr
		case *dns.SRV:
			target = v.Target
		default:
			continue
		}
		for _, rr := range r.records {
			h := rr.Header()
			if strings.EqualFold(h.Name, target) && h.Rrtype != dns.TypePTR {
				add(&resp.Extra, rr)
				if srv, ok := rr.(*dns.SRV); ok {
					for _, ar := range r.records {
						if strings.EqualFold(ar.Header().Name, srv.Target) {
							add(&resp.Extra, ar)
						}
					}
				}
			}
		}
	}
	return resp
}

// checkConflict notes, while probing, an answer from someone else that
// claims one of our instance names with other data.
func (r *Responder) checkConflict(m *dns.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.probing {
		return
	}
	names := r.instanceNames()
	ours := map[string]bool{}
	for _, rr := range r.records {
		ours[rrKey(rr)] = true
	}
	for _, rr := range append(m.Answer, m.Extra...) {
		if names[strings.ToLower(rr.Header().Name)] && !ours[rrKey(rr)] {
			r.conflict = true
			return
		}
	}
}

// rrKey compares records without TTL and cache-flush bit.
func rrKey(rr dns.RR) string {
	c := dns.Copy(rr)
	c.Header().Ttl = 0
	c.Header().Class &^= cacheFlush
	return strings.ToLower(c.String())
}
