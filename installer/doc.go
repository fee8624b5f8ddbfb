// Package installer will install, start, stop and remove the agent as a
// Windows or Linux service (kardianos/service) and open its firewall ports.
//
// Not built yet: in the walking skeleton the agent runs in the foreground
// with "edgeprint agent". Issue "Install like IT expects" builds this package.
package installer
