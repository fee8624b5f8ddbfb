package agent

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/mdnsbrowse"
	"github.com/edgeprint/edgeprint/snmp"
)

// reportRetry is how soon an inventory that did not reach the relay is
// sent again.
const reportRetry = 30 * time.Second

// discovery is the state of the agent's printer discovery: sweeps on a
// timer or on demand, status polls of enabled printers, and the inventory
// owed to the relay.
type discovery struct {
	cfg   DiscoveryConfig
	kick  chan struct{} // sweep now
	dirty chan struct{} // the relay's inventory is stale

	metrics *discoveryMetrics

	mu        sync.Mutex
	lastSweep time.Time
	lastFound int
	running   bool
}

func newDiscovery(cfg DiscoveryConfig) *discovery {
	return &discovery{cfg: cfg.effective(), kick: make(chan struct{}, 1), dirty: make(chan struct{}, 1)}
}

// Discover asks for a sweep now; it returns at once.
func (a *Agent) Discover() { a.kick(a.disc.kick) }

// discoveryLoop sweeps at start, every interval and on demand, and sends
// the inventory to the relay whenever it changed (retrying while the relay
// is away).
func (a *Agent) discoveryLoop(ctx context.Context) error {
	d := a.disc
	if d.cfg.Disabled {
		<-ctx.Done()
		return nil
	}
	sweep := time.NewTimer(0)
	defer sweep.Stop()
	retry := time.NewTicker(reportRetry)
	defer retry.Stop()
	pending := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep.C:
			a.sweepOnce(ctx)
			sweep.Reset(time.Duration(d.cfg.Interval))
			pending = true
		case <-d.kick:
			a.sweepOnce(ctx)
			pending = true
		case <-d.dirty:
			pending = true
		case <-retry.C:
		}
		if pending && ctx.Err() == nil {
			pending = !a.reportPrinters(ctx)
		}
	}
}

// sweepOnce sweeps every target, browses mDNS, merges and stores.
func (a *Agent) sweepOnce(ctx context.Context) {
	d := a.disc
	d.mu.Lock()
	d.running = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running = false
		d.mu.Unlock()
	}()
	start := time.Now()
	log := a.log.With("component", "discovery")

	var found []snmp.Printer
	var wg sync.WaitGroup
	var mdnsFound []snmp.Printer
	if d.cfg.mdns() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			devs, err := mdnsbrowse.Browse(ctx, mdnsbrowse.DefaultWindow, log)
			if err != nil {
				log.Warn("mdns browse failed", "err", err)
			}
			for _, dev := range devs {
				mdnsFound = append(mdnsFound, printerFromMDNS(dev))
			}
		}()
	}
	targets := a.discoveryTargets(log)
	opts := d.cfg.sweepOptions()
	opts.Logger = log
	ps, err := snmp.Sweep(ctx, targets, opts)
	if err != nil {
		log.Warn("sweep stopped", "err", err)
	}
	found = append(found, ps...)
	wg.Wait()
	found = snmp.Merge(append(found, mdnsFound...))

	changes, err := a.store.MergeDiscovered(found, time.Now().UTC())
	if err != nil {
		log.Error("store discovered printers", "err", err)
		return
	}
	a.applySettings(ctx, found)
	for _, c := range changes {
		switch c.Kind {
		case "new":
			log.Info("printer found", "printer", c.ID, "address", c.To)
		case "moved":
			log.Info("printer moved", "printer", c.ID, "from", c.From, "to", c.To)
		}
	}
	d.mu.Lock()
	d.lastSweep, d.lastFound = time.Now(), len(found)
	d.mu.Unlock()
	d.metrics.sweep(time.Since(start), len(found))
	log.Info("sweep done", "addresses", len(targets), "printers", len(found), "changes", len(changes),
		"took", time.Since(start).Round(time.Millisecond))
}

// discoveryTargets expands the configured targets, "local" included.
func (a *Agent) discoveryTargets(log *slog.Logger) []snmp.Target {
	var out []snmp.Target
	seen := map[string]bool{}
	for _, t := range a.disc.cfg.Targets {
		var specs []string
		for _, s := range t.Addresses {
			if s == LocalTargets {
				specs = append(specs, localSubnets()...)
			} else {
				specs = append(specs, s)
			}
		}
		ts, err := snmp.ParseTargets(specs, a.disc.cfg.credentialsFor(t))
		if err != nil {
			log.Warn("bad discovery target", "err", err)
			continue
		}
		for _, x := range ts {
			if !seen[x.Address()] {
				seen[x.Address()] = true
				out = append(out, x)
			}
		}
	}
	return out
}

// localSubnets are this host's IPv4 networks, each cut to at most the /24
// around the host's address so that a sweep stays seconds long.
func localSubnets() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		ones, _ := ipn.Mask.Size()
		if !ip.Is4() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ones < 8 {
			continue
		}
		pfx := netip.PrefixFrom(ip, max(ones, 24)).Masked().String()
		if !slices.Contains(out, pfx) {
			out = append(out, pfx)
		}
	}
	return out
}

// printerFromMDNS turns an mDNS announcement into a finding to merge.
func printerFromMDNS(d mdnsbrowse.Device) snmp.Printer {
	return snmp.Printer{
		Address: d.Address(), Manufacturer: d.Manufacturer, Model: d.Model, Name: d.Instance,
		Location: d.Location, Color: d.Color, Duplex: d.Duplex, Languages: d.PDLs, Sources: []string{"mdns"},
	}
}

// pollLoop reads the state of the printers the relay has enabled.
func (a *Agent) pollLoop(ctx context.Context) error {
	if a.disc.cfg.Disabled {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(time.Duration(a.disc.cfg.PollInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if a.pollOnce(ctx) {
			a.kick(a.disc.dirty)
		}
	}
}

// pollOnce reads every discovered printer that is enabled on the relay
// and reports whether anything changed.
func (a *Agent) pollOnce(ctx context.Context) bool {
	site, err := a.store.SiteConfig()
	if err != nil {
		return false
	}
	enabled := map[string]bool{}
	for _, p := range site.Printers {
		if p.Enabled {
			enabled[p.Address] = true
		}
	}
	stored, err := a.store.DiscoveredPrinters()
	if err != nil {
		a.log.Error("list discovered printers", "err", err)
		return false
	}
	var found []snmp.Printer
	for _, d := range stored {
		host := d.Address
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !enabled[host] || !slices.Contains(d.Sources, "snmp") {
			continue
		}
		ts, err := snmp.ParseTargets([]string{d.Address}, a.pollCredentials(d.Credential))
		if err != nil || len(ts) != 1 {
			continue
		}
		o := a.disc.cfg.sweepOptions()
		p, err := snmp.ReadTarget(ctx, ts[0], o.Timeout, o.Retries, nil)
		if err != nil {
			a.log.Debug("poll failed", "printer", d.ID, "address", d.Address, "err", err)
			continue
		}
		found = append(found, p)
	}
	changes, err := a.store.MergeDiscovered(found, time.Now().UTC())
	if err != nil {
		a.log.Error("store polled printers", "err", err)
		return false
	}
	return len(changes) > 0
}

// pollCredentials puts the credential that answered last first.
func (a *Agent) pollCredentials(label string) []snmp.Credential {
	creds := slices.Clone(a.disc.cfg.Credentials)
	slices.SortStableFunc(creds, func(x, y snmp.Credential) int {
		if x.Label() == label && y.Label() != label {
			return -1
		}
		return 0
	})
	return creds
}

// reportPrinters sends the stored printers to the relay; true when it
// arrived.
func (a *Agent) reportPrinters(ctx context.Context) bool {
	if a.session() == nil {
		return false
	}
	ps, err := a.store.DiscoveredPrinters()
	if err != nil {
		a.log.Error("list discovered printers", "err", err)
		return false
	}
	if err := a.relay.putPrinters(ctx, ps); err != nil {
		a.disc.metrics.report(false)
		a.log.Warn("printer inventory not delivered, will retry", "err", err)
		return false
	}
	a.disc.metrics.report(true)
	a.log.Debug("printer inventory delivered", "printers", len(ps))
	return true
}
