package agent

import (
	"context"
	"os"
	"slices"
	"strings"

	"github.com/edgeprint/edgeprint/snmp"
)

// applySettings writes the configured vendor settings to the opted-in
// printers among found. Each change is logged by snmp.Apply.
func (a *Agent) applySettings(ctx context.Context, found []snmp.Printer) {
	for _, st := range a.disc.cfg.Settings {
		vars := map[string]string{}
		if h, err := os.Hostname(); err == nil {
			vars["agent_host"] = h
		}
		for k, v := range st.Vars {
			vars[k] = v
		}
		for _, p := range found {
			if p.Serial == "" || !slices.ContainsFunc(st.Serials, func(s string) bool { return strings.EqualFold(s, p.Serial) }) {
				continue
			}
			ts, err := snmp.ParseTargets([]string{p.Address}, a.pollCredentials(p.Credential))
			if err != nil || len(ts) != 1 {
				continue
			}
			o := a.disc.cfg.sweepOptions()
			changes, err := snmp.Apply(ctx, ts[0], st.Profile, snmp.ApplyOptions{
				Vars: vars, DryRun: st.DryRun, Timeout: o.Timeout, Retries: max(o.Retries, 0),
				Logger: a.log.With("component", "discovery", "serial", p.Serial),
			})
			if err != nil {
				a.log.Warn("vendor setting not applied", "printer", p.Address, "profile", st.Profile.Name, "err", err)
				continue
			}
			if st.DryRun && len(changes) > 0 {
				a.log.Info("vendor setting would change", "printer", p.Address, "profile", st.Profile.Name, "changes", changes)
			}
		}
	}
}
