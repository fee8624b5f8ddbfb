package certs

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateKeepsTheKey(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreate("", "", dir, "agent", []string{"printhost"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreate("", "", dir, "agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := LeafFingerprint(first)
	b, _ := LeafFingerprint(second)
	if a != b {
		t.Fatalf("second start made a new certificate: %s != %s", a, b)
	}
	info, err := os.Stat(filepath.Join(dir, "agent.key"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
}

func TestPinnedConfig(t *testing.T) {
	dir := t.TempDir()
	cert, err := LoadOrCreate("", "", dir, "relay", nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadOrCreate("", "", t.TempDir(), "relay", nil)
	if err != nil {
		t.Fatal(err)
	}
	pin, _ := LeafFingerprint(cert)
	wrong, _ := LeafFingerprint(other)

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()

	tests := []struct {
		name string
		pin  string
		ok   bool
	}{
		{"matching pin", pin, true},
		{"other key", wrong, false},
		{"no pin, self-signed", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &net.Dialer{}
			c, err := tls.DialWithDialer(d, "tcp", ln.Addr().String(), withName(PinnedConfig(tc.pin)))
			if c != nil {
				c.Close()
			}
			if (err == nil) != tc.ok {
				t.Fatalf("dial error %v, want success %v", err, tc.ok)
			}
		})
	}
}

func withName(c *tls.Config) *tls.Config {
	c.ServerName = "localhost"
	return c
}
