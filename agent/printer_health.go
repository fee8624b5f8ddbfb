package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/edgeprint/edgeprint/snmp"
)

// healthTimeout bounds the live SNMP look a release takes at a printer whose
// last known state was bad; a healthy printer costs no network round trip.
const healthTimeout = 2 * time.Second

// blockingErrors are the Printer MIB error states in which a released job
// would wait inside the printer instead of coming out while its owner stands
// there. Warnings (low toner, low paper, output nearly full, maintenance due,
// one empty tray of several) do not block.
var blockingErrors = []string{
	"no-paper", "no-toner", "door-open", "jammed", "offline", "service-requested",
	"marker-supply-missing", "output-full",
}

// errPrinterSilent is a printer that SNMP knows but that does not answer.
var errPrinterSilent = errors.New("it does not answer SNMP (off or unplugged?)")

// printerHealth is the SNMP readiness check of releases. It trusts the
// state the poll loop keeps fresh for enabled printers, and looks again live
// only when that state is bad or stale, so a user who just cleared a jam is
// not turned away by a minute-old reading. Printers SNMP never found (added
// by hand with no SNMP) cannot be checked and are taken as ready.
type printerHealth struct{ a *Agent }

func (h printerHealth) Ready(ctx context.Context, p Printer) error {
	d, ok := h.a.discoveredAt(p.Address)
	if !ok {
		return nil
	}
	stale := time.Since(d.LastSeen) > 3*time.Duration(h.a.disc.cfg.PollInterval)
	if !stale && blockingReason(d.Printer) == "" {
		return nil
	}
	ts, err := snmp.ParseTargets([]string{d.Address}, h.a.pollCredentials(d.Credential))
	if err != nil || len(ts) != 1 {
		return nil
	}
	fresh, err := snmp.ReadTarget(ctx, ts[0], healthTimeout, 0, nil)
	if err != nil {
		return errPrinterSilent
	}
	if _, err := h.a.store.MergeDiscovered([]snmp.Printer{fresh}, time.Now().UTC()); err != nil {
		h.a.log.Warn("store printer state", "err", err)
	}
	if reason := blockingReason(fresh); reason != "" {
		return fmt.Errorf("it reports %s", reason)
	}
	return nil
}

func blockingReason(p snmp.Printer) string {
	if p.Status == "down" {
		return "down"
	}
	for _, e := range p.Errors {
		if slices.Contains(blockingErrors, e) {
			return e
		}
	}
	return ""
}

// discoveredAt finds the SNMP-discovered printer at a release target's
// address.
func (a *Agent) discoveredAt(addr string) (DiscoveredPrinter, bool) {
	stored, err := a.store.DiscoveredPrinters()
	if err != nil {
		return DiscoveredPrinter{}, false
	}
	for _, d := range stored {
		host := d.Address
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == addr && slices.Contains(d.Sources, "snmp") {
			return d, true
		}
	}
	return DiscoveredPrinter{}, false
}
