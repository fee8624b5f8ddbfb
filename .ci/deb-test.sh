#!/usr/bin/env bash
# Installs the agent's .deb on this machine, checks what it put in place,
# asks "edgeprint service status", then removes it (the data directory must
# stay) and purges it (nothing may stay). Quick, and it leaves the machine
# as it found it: it refuses to run where an edgeprint install, account or
# directory already exists.
#   .ci/deb-test.sh dist/edgeprint_VERSION_amd64.deb
set -euo pipefail
deb=${1:?usage: $0 PACKAGE.deb}

fail() { echo "deb-test: FAIL: $*"; exit 1; }
check() { # check DESCRIPTION COMMAND...
	if "${@:2}"; then echo "ok   $1"; else fail "$1"; fi
}
mode_owner() { stat -c '%a %U:%G' "$1"; }

if dpkg-query -W -f='${Status}' edgeprint 2>/dev/null | grep -q installed ||
	getent passwd edgeprint >/dev/null || [ -e /var/lib/edgeprint ] || [ -e /etc/edgeprint ]; then
	fail "edgeprint is already on this machine; refusing to touch it"
fi
tmp=$(mktemp -d)
relay_pid=
cleanup() {
	[ -z "$relay_pid" ] || kill "$relay_pid" 2>/dev/null || true
	dpkg --purge edgeprint >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "--- dpkg -i $deb"
dpkg -i "$deb"
check "binary /usr/bin/edgeprint" test -x /usr/bin/edgeprint
check "systemd unit in place" test -f /lib/systemd/system/edgeprint-agent.service
unit=/lib/systemd/system/edgeprint-agent.service
for line in "User=edgeprint" "NoNewPrivileges=yes" "ProtectSystem=strict" \
	"ReadWritePaths=/var/lib/edgeprint" "AmbientCapabilities=CAP_NET_BIND_SERVICE" \
	"ExecStart=/usr/bin/edgeprint service run --config /etc/edgeprint/agent.json"; do
	check "unit has $line" grep -qx "$line" "$unit"
done
check "service account edgeprint" getent passwd edgeprint
check "config /etc/edgeprint/agent.json is 640 root:edgeprint" test "$(mode_owner /etc/edgeprint/agent.json)" = "640 root:edgeprint"
check "config is a conffile" grep -qx /etc/edgeprint/agent.json /var/lib/dpkg/info/edgeprint.conffiles
check "data dir /var/lib/edgeprint is 700 edgeprint:edgeprint" test "$(mode_owner /var/lib/edgeprint)" = "700 edgeprint:edgeprint"
check "packaged config is valid" /usr/bin/edgeprint agent check --config /etc/edgeprint/agent.json >/dev/null

echo "--- edgeprint service install, against a relay on loopback"
/usr/bin/edgeprint relay init --data-dir "$tmp/relay" --company-code ACME --company-name Acme \
	--admin-email it@acme.example >"$tmp/init.txt"
password=$(awk '/^password:/ {print $2}' "$tmp/init.txt")
token=$(awk '/^api token:/ {print $3}' "$tmp/init.txt")
/usr/bin/edgeprint relay --data-dir "$tmp/relay" --listen 127.0.0.1:0 --admin-listen off 2>"$tmp/relay.log" &
relay_pid=$!
for _ in $(seq 50); do grep -q 'relay ready' "$tmp/relay.log" && break; sleep 0.1; done
url=$(sed -n 's/.*relay ready.* url=\([^ ]*\).*/\1/p' "$tmp/relay.log")
fingerprint=$(sed -n 's/.*relay ready.* fingerprint=\([^ ]*\).*/\1/p' "$tmp/relay.log")
[ -n "$url" ] || { cat "$tmp/relay.log"; fail "relay did not start"; }
# -k: loopback only; the agent itself pins the fingerprint.
code=$(curl -sk -X POST -H "Authorization: Bearer $token" "$url/api/v1/activation-codes" |
	sed -n 's/.*"code":"\([^"]*\)".*/\1/p')
# The host's own firewall is left alone when it has one (the plans are
# tested against nft in a network namespace, installer tests).
fw=()
if command -v ufw >/dev/null || command -v firewall-cmd >/dev/null ||
	{ command -v nft >/dev/null && [ -n "$(nft list ruleset 2>/dev/null)" ]; }; then
	fw=(--no-firewall)
fi
echo "$password" | /usr/bin/edgeprint service install --relay "$url" --relay-fingerprint "$fingerprint" \
	--company ACME --activation-code "$code" --admin-email it@acme.example "${fw[@]}" | tee "$tmp/install.txt"
check "install registered the agent" grep -q "^registered as agent" "$tmp/install.txt"
check "identity is 600 edgeprint:edgeprint" test "$(mode_owner /var/lib/edgeprint/identity.json)" = "600 edgeprint:edgeprint"
check "the service account reads its identity" sh -c \
	"runuser -u edgeprint -- /usr/bin/edgeprint agent check --config /etc/edgeprint/agent.json | grep -q 'identity:  registered'"
check "others cannot read the data dir" sh -c "! runuser -u nobody -- ls /var/lib/edgeprint >/dev/null 2>&1"
kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true; relay_pid=

echo "--- edgeprint service status"
status=$(/usr/bin/edgeprint service status) || true
echo "$status"
if [ -d /run/systemd/system ]; then
	check "status names the unit" grep -q "unit $unit" <<<"$status"
else
	check "status: installed, not running, and says why" grep -q "installed, not running (unit $unit; systemd is not running" <<<"$status"
fi

echo "--- dpkg -r edgeprint"
dpkg -r edgeprint
check "binary removed" test ! -e /usr/bin/edgeprint
check "unit removed" test ! -e "$unit"
check "data dir kept" test -f /var/lib/edgeprint/identity.json
left=$(dpkg -L edgeprint 2>/dev/null | grep -v '^/etc' | while read -r f; do [ -e "$f" ] && [ ! -d "$f" ] && echo "$f"; done || true)
check "nothing else of the package left (conffiles aside, as dpkg keeps them until purge)" test -z "$left"

echo "--- dpkg --purge edgeprint"
dpkg --purge edgeprint
check "data dir removed" test ! -e /var/lib/edgeprint
check "config removed" test ! -e /etc/edgeprint
check "service account removed" sh -c '! getent passwd edgeprint >/dev/null && ! getent group edgeprint >/dev/null'
check "package forgotten" sh -c "! dpkg-query -W edgeprint >/dev/null 2>&1"
trap - EXIT
echo "deb-test: passed"
