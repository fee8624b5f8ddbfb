package update

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Describe makes the unsigned Release of the binary at path.
func Describe(path, version, goos, arch string) (Release, error) {
	f, err := os.Open(path)
	if err != nil {
		return Release{}, fmt.Errorf("update: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Release{}, fmt.Errorf("update: %w", err)
	}
	return Release{Version: version, OS: goos, Arch: arch, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// GenerateKey makes a release key pair, both base64: the public key goes
// into builds (PublicKey), the private key stays with whoever signs.
func GenerateKey() (public, private string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(priv.Seed()), nil
}

// ParsePrivateKey decodes a base64 private key (its 32-byte seed).
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("update: private key is not a base64 Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(b), nil
}
