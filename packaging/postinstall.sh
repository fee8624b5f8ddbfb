#!/bin/sh
# Runs after the .deb/.rpm is unpacked ("configure" for dpkg, 1 or 2 for
# rpm). Must work without a running systemd (containers, CI).
set -e

user=edgeprint
data=/var/lib/edgeprint

if ! getent group "$user" >/dev/null; then
	groupadd --system "$user"
fi
if ! getent passwd "$user" >/dev/null; then
	useradd --system --gid "$user" --home-dir "$data" --no-create-home \
		--shell /usr/sbin/nologin --comment "edgeprint agent" "$user"
fi

install -d -m 0700 -o "$user" -g "$user" "$data"
chgrp "$user" /etc/edgeprint /etc/edgeprint/agent.json
chmod 0750 /etc/edgeprint
chmod 0640 /etc/edgeprint/agent.json

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	systemctl enable edgeprint-agent.service || true
	# An upgrade restarts a registered agent; a fresh one waits for
	# "edgeprint service install" (the unit's ConditionPathExists).
	systemctl try-restart edgeprint-agent.service || true
fi

if [ ! -f "$data/identity.json" ]; then
	echo "edgeprint: register and start the agent with:"
	echo "  edgeprint service install --relay URL --company CODE --activation-code CODE"
fi
exit 0
