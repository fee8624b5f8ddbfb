//go:build !windows

package agent

func defaultDataDir() string { return "/var/lib/edgeprint" }
