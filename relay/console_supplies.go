package relay

import "github.com/edgeprint/edgeprint/relay/store"

// printerSupplies are a printer's toner (and other supply) levels as
// gauges, and printerDeviceStatus the device's own status. Both come from
// what the agents report of a printer's state, which is issue 5's work
// (store.Printer.Discovery). This branch has no such field, so they show
// nothing; after the merge they read it:
//
//	if p.Discovery == nil { return nil }
//	for _, sp := range p.Discovery.Supplies {
//		if sp.Percent != nil { out = append(out, gauge{Label: sp.Name, Percent: *sp.Percent}) }
//	}
func printerSupplies(p store.Printer) []gauge { return nil }

// printerDeviceStatus: after the merge, p.Discovery.Status ("idle",
// "printing", "warning", "down"…) mapped to a badge.
func printerDeviceStatus(p store.Printer) (statusBadge, bool) { return statusBadge{}, false }

// printerAgent is the agent that discovered p; after the merge with
// issue 5 it returns p.AgentID.
func printerAgent(p store.Printer) string { return "" }
