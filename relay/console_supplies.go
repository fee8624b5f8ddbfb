package relay

import (
	"strings"

	"github.com/edgeprint/edgeprint/relay/store"
)

// printerSupplies are a printer's toner (and other supply) levels as
// gauges, from what its agent last reported; supplies without a known
// percentage are left out.
func printerSupplies(p store.Printer) []gauge {
	if p.Discovery == nil {
		return nil
	}
	var out []gauge
	for _, sp := range p.Discovery.Supplies {
		if sp.Percent != nil {
			out = append(out, gauge{Label: sp.Name, Percent: *sp.Percent})
		}
	}
	return out
}

// printerDeviceStatus is the device's own status as its agent last read it
// over SNMP: an error state or "down" is bad, a warning is a warning.
func printerDeviceStatus(p store.Printer) (statusBadge, bool) {
	d := p.Discovery
	if d == nil || d.Status == "" && len(d.Errors) == 0 {
		return statusBadge{}, false
	}
	switch {
	case d.Status == "down":
		return statusBadge{"down", "bad", "#c83232"}, true
	case len(d.Errors) > 0:
		return statusBadge{strings.Join(d.Errors, ", "), "warn", "#e0a100"}, true
	case d.Status == "warning":
		return statusBadge{"warning", "warn", "#e0a100"}, true
	}
	return statusBadge{d.Status, "ok", "#2e9d55"}, true
}

// printerAgent is the agent that discovered p, if any.
func printerAgent(p store.Printer) string { return p.AgentID }
