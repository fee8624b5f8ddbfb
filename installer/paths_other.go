//go:build !linux && !windows

package installer

const (
	ConfigPath   = "/usr/local/etc/edgeprint/agent.json"
	ServiceUser  = ""
	UnitPath     = ""
	HandUnitPath = ""
)
