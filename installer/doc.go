// Package installer installs, starts, stops and removes the agent as a
// Windows service or a Linux systemd unit (kardianos/service), opens the
// agent's firewall ports and locks its files down to the service account
// and administrators.
//
// Decisions:
//   - Everything that changes the machine is first built as a Plan, a list
//     of commands, from the agent configuration; tests check plans, and only
//     a real install runs them.
//   - Only enabled listeners get a firewall rule; every rule carries the
//     name "edgeprint" so uninstall removes exactly what install added.
//   - On Linux the unit file is the one the .deb/.rpm ships
//     (installer/systemd/edgeprint-agent.service, embedded here); a binary
//     installed by hand gets the same unit, written by kardianos.
//   - Status is honest: a unit that is in place on a machine where systemd
//     is not running reports just that, not "stopped".
package installer
