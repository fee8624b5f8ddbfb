# Builds and tests edgeprint on Linux; build.ps1 does the same on Windows.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build windows all demo test ci clean deb rpm msi packages

build:
	go build -trimpath -ldflags '$(LDFLAGS)' -o bin/edgeprint ./cmd/edgeprint

windows:
	GOOS=windows GOARCH=amd64 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/edgeprint.exe ./cmd/edgeprint

all: build windows
	GOOS=linux GOARCH=arm64 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/edgeprint-linux-arm64 ./cmd/edgeprint

demo:
	go run ./cmd/edgeprint demo

test:
	go test -race ./...

ci:
	bash .ci/run

# Packages into dist/ (.ci/package.sh: nfpm for .deb/.rpm, wixl for the MSI).
deb rpm msi:
	bash .ci/package.sh $@

packages:
	bash .ci/package.sh deb rpm msi

clean:
	rm -rf bin dist
