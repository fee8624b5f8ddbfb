#!/usr/bin/env bash
# Extracts Debian's lprng (its lpd is the LPR tests' real server) to
# LPRNG_DIR, /opt/lprng by default. lprng conflicts with cups-client, so it is
# downloaded and unpacked, never installed. Idempotent.
set -euo pipefail
dir=${LPRNG_DIR:-/opt/lprng}
if [ -x "$dir/usr/sbin/lpd" ]; then
	exit 0
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/edgeprint/debs
mkdir -p "$cache" "$dir"
if ! ls "$cache"/lprng_*.deb >/dev/null 2>&1; then
	apt-get update -qq
	(cd "$cache" && apt-get download lprng)
fi
dpkg-deb -x "$(ls "$cache"/lprng_*.deb | head -n1)" "$dir"
echo "lprng extracted to $dir"
