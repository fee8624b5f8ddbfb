#!/bin/sh
# Runs before the package's files go ("remove" for dpkg, 0 for rpm erase;
# upgrades keep everything). Stops the agent and removes its firewall
# rules; the data directory stays.
set -e

case "$1" in
remove | 0)
	if [ -x /usr/bin/edgeprint ]; then
		/usr/bin/edgeprint service uninstall --keep-data --keep-config || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl stop edgeprint-agent.service || true
		systemctl disable edgeprint-agent.service || true
	fi
	;;
esac
exit 0
