package installer

import "context"

// DetectFirewall is Windows Defender Firewall, driven with netsh; it is
// there even when switched off, and rules added then apply once it is on.
func DetectFirewall(context.Context, Runner) Backend { return Netsh }
