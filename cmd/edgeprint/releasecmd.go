package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/edgeprint/edgeprint/relay"
	"github.com/edgeprint/edgeprint/update"
)

// runRelease is "edgeprint release keygen|sign": the release key's owner
// signs agent binaries; the private key never leaves that machine.
func runRelease(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("release: keygen or sign?")
	}
	switch args[0] {
	case "keygen":
		return runReleaseKeygen(args[1:], stdout, stderr)
	case "sign":
		return runReleaseSign(args[1:], stdout, stderr)
	}
	return fmt.Errorf("release: unknown action %q", args[0])
}

func runReleaseKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("release keygen", "edgeprint release keygen --out FILE", stderr)
	out := fs.String("out", "", "where to write the private key (mode 0600); the public key is printed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("release keygen: --out is required")
	}
	pub, priv, err := update.GenerateKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("release keygen: %w", err)
	}
	if _, err := fmt.Fprintln(f, priv); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "private key in %s; build agents that trust it with\n  EDGEPRINT_RELEASE_PUBKEY=%s .ci/package.sh\n", *out, pub)
	return nil
}

func runReleaseSign(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("release sign", "edgeprint release sign --key FILE --file BIN --version V [--os OS] [--arch ARCH]", stderr)
	keyPath := fs.String("key", "", "private key from 'release keygen'")
	bin := fs.String("file", "", "the agent binary")
	ver := fs.String("version", "", "its version, as built into it (-X main.version)")
	goos := fs.String("os", runtime.GOOS, "its OS")
	arch := fs.String("arch", runtime.GOARCH, "its architecture")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyPath == "" || *bin == "" || *ver == "" {
		return errors.New("release sign: --key, --file and --version are required")
	}
	keyText, err := os.ReadFile(*keyPath)
	if err != nil {
		return fmt.Errorf("release sign: %w", err)
	}
	priv, err := update.ParsePrivateKey(string(keyText))
	if err != nil {
		return err
	}
	rel, err := update.Describe(*bin, *ver, *goos, *arch)
	if err != nil {
		return err
	}
	rel.Sign(priv)
	data, _ := json.MarshalIndent(rel, "", "  ")
	fmt.Fprintln(stdout, string(data))
	return nil
}

// runRelayRelease is "edgeprint relay release add": an operator adds a
// signed binary for agents to update to.
func runRelayRelease(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(`relay release: the only subcommand is "add"`)
	}
	fs := newFlags("relay release add", "edgeprint relay release add --data-dir DIR --file BIN --release RELEASE.json", stderr)
	dataDir := fs.String("data-dir", defaultRelayDataDir, "the relay's data directory")
	bin := fs.String("file", "", "the agent binary")
	relPath := fs.String("release", "", "its signed description, from 'edgeprint release sign'")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *bin == "" || *relPath == "" {
		return errors.New("relay release add: --file and --release are required")
	}
	data, err := os.ReadFile(*relPath)
	if err != nil {
		return fmt.Errorf("relay release add: %w", err)
	}
	var rel update.Release
	if err := json.Unmarshal(data, &rel); err != nil {
		return fmt.Errorf("relay release add: %s: %w", *relPath, err)
	}
	if err := relay.AddRelease(*dataDir, *bin, rel); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "release %s for %s/%s added; agents with updates on fetch it at their next check\n", rel.Version, rel.OS, rel.Arch)
	return nil
}
