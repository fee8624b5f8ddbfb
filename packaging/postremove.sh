#!/bin/sh
# Runs after the package's files are gone. "dpkg --purge" also removes the
# data directory, the configuration and the service account; a plain
# remove (and an rpm erase) keeps the data directory.
set -e

case "$1" in
purge)
	rm -rf /var/lib/edgeprint /etc/edgeprint
	if getent passwd edgeprint >/dev/null; then
		userdel edgeprint || true
	fi
	if getent group edgeprint >/dev/null; then
		groupdel edgeprint || true
	fi
	;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
