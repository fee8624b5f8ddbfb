#!/usr/bin/env bash
# Builds the agent's packages into dist/:
#   .ci/package.sh            .deb and .rpm (linux/amd64) and the MSI (windows/amd64)
#   .ci/package.sh deb|rpm|msi   one of them
# nfpm runs as a tool pinned here, not a module dependency; the MSI is
# built by wixl (Debian package "wixl") from packaging/wix/edgeprint.wxs,
# the same source build.ps1 gives the WiX toolset on Windows.
# Signing: with EDGEPRINT_SIGN_KEY and EDGEPRINT_SIGN_CERT (PEM files) set,
# edgeprint.exe and the MSI are Authenticode-signed with osslsigncode.
# With EDGEPRINT_RELEASE_PUBKEY (base64 Ed25519) the binaries trust that
# key for self-updates (see docs/updates.md).
set -euo pipefail
cd "$(dirname "$0")/.."

NFPM="github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.41.1"
what=("${@:-deb rpm msi}")
what=(${what[*]})

# VERSION is semver: the tag v1.2.3 gives 1.2.3; an untagged tree 0.1.0-dev.
if [ -z "${VERSION:-}" ]; then
	VERSION=$(git describe --tags --match 'v[0-9]*' 2>/dev/null | sed 's/^v//' || true)
	VERSION=${VERSION:-0.1.0-dev}
fi
msi_version=$(echo "$VERSION" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/')
ldflags="-s -w -X main.version=$VERSION"
if [ -n "${EDGEPRINT_RELEASE_PUBKEY:-}" ]; then
	ldflags="$ldflags -X github.com/edgeprint/edgeprint/update.PublicKey=$EDGEPRINT_RELEASE_PUBKEY"
fi
mkdir -p dist bin

sign() { # sign FILE: Authenticode, in place
	if [ -z "${EDGEPRINT_SIGN_KEY:-}" ] || [ -z "${EDGEPRINT_SIGN_CERT:-}" ]; then
		return 0
	fi
	osslsigncode sign -certs "$EDGEPRINT_SIGN_CERT" -key "$EDGEPRINT_SIGN_KEY" \
		-n "edgeprint agent" -h sha256 -in "$1" -out "$1.signed" >/dev/null
	mv "$1.signed" "$1"
	osslsigncode verify -CAfile "$EDGEPRINT_SIGN_CERT" -in "$1" >/dev/null
	echo "signed $1"
}

linux() {
	GOARCH=amd64
	CGO_ENABLED=0 GOOS=linux GOARCH=$GOARCH go build -trimpath -ldflags "$ldflags" -o bin/package/edgeprint ./cmd/edgeprint
	export VERSION GOARCH
}

for w in "${what[@]}"; do
	case "$w" in
	deb | rpm)
		linux
		GOFLAGS= go run "$NFPM" pkg --packager "$w" --config packaging/nfpm.yaml --target dist/
		;;
	msi)
		command -v wixl >/dev/null || { echo "wixl is not installed (apt-get install wixl)"; exit 1; }
		CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "$ldflags" -o bin/windows/edgeprint.exe ./cmd/edgeprint
		sign bin/windows/edgeprint.exe
		wixl -a x64 -D Version="$msi_version" -D BinDir=bin/windows \
			-o "dist/edgeprint-$VERSION-x64.msi" packaging/wix/edgeprint.wxs
		sign "dist/edgeprint-$VERSION-x64.msi"
		echo "built dist/edgeprint-$VERSION-x64.msi"
		;;
	*)
		echo "usage: $0 [deb] [rpm] [msi]"; exit 2
		;;
	esac
done
ls -l dist/
