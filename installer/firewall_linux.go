package installer

import (
	"context"
	"os/exec"
	"strings"
)

// DetectFirewall picks the first firewall that is installed and active:
// firewalld, then ufw, then an nftables ruleset with an inet filter input
// chain. Anything else is Manual.
func DetectFirewall(ctx context.Context, r Runner) Backend {
	has := func(name string) bool { _, err := exec.LookPath(name); return err == nil }
	if has("firewall-cmd") {
		if out, err := r.Run(ctx, "firewall-cmd", "--state"); err == nil && strings.TrimSpace(out) == "running" {
			return Firewalld
		}
	}
	if has("ufw") {
		if out, err := r.Run(ctx, "ufw", "status"); err == nil && strings.Contains(out, "Status: active") {
			return UFW
		}
	}
	if has("nft") {
		if _, err := r.Run(ctx, "nft", "list", "chain", "inet", "filter", "input"); err == nil {
			return NFTables
		}
	}
	return Manual
}
