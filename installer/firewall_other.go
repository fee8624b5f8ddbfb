//go:build !linux && !windows

package installer

import "context"

// DetectFirewall drives no firewall on other systems.
func DetectFirewall(context.Context, Runner) Backend { return Manual }
