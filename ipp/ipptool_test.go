package ipp

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/samplepdf"
)

// ipptoolDir holds the test files Debian's cups-ipp-utils installs.
const ipptoolDir = "/usr/share/cups/ipptool"

func ipptoolPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ipptool")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("ipptool not installed (Debian: cups-ipp-utils)")
		}
		t.Fatal("ipptool not installed (Debian: cups-ipp-utils)")
	}
	return p
}

// ipptool runs ipptool with args and returns its output and error.
func ipptool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return ipptoolTimeout(t, 30*time.Second, args...)
}

func ipptoolTimeout(t *testing.T, d time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, ipptoolPath(t), args...)
	// A fresh HOME: no ~/.cups settings or remembered certificates.
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestIPPTool(t *testing.T) {
	ipptoolPath(t)
	pdf := samplepdf.Page("edgeprint", 0)
	pdfPath := filepath.Join(t.TempDir(), "hello.pdf")
	if err := os.WriteFile(pdfPath, pdf, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		scheme string
		args   []string
		// plainLoopback off makes 127.0.0.1 count as a network peer, to
		// drive the 426 and TLS upgrade path.
		noPlainLoopback bool
	}{
		{name: "ipp", scheme: "ipp"},
		{name: "ipps", scheme: "ipps"},
		{name: "ipp upgraded after 426", scheme: "ipp", noPlainLoopback: true},
		{name: "ipp -E", scheme: "ipp", args: []string{"-E"}, noPlainLoopback: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := &testSpooler{}
			s := newTestServer(t, testConfig(), testAuth{}, sp)
			s.plainLoopback = !tc.noPlainLoopback
			addr, _ := serveTest(t, s)
			uri := tc.scheme + "://alice:secret@" + addr + "/ipp/print"

			args := append(append([]string{"-t", "-T", "10"}, tc.args...), "-f", pdfPath, uri, filepath.Join(ipptoolDir, "print-job.test"))
			out, err := ipptool(t, args...)
			if err != nil {
				t.Fatalf("ipptool print-job.test: %v\n%s", err, out)
			}
			calls := sp.spooled()
			if len(calls) != 1 {
				t.Fatalf("spooled %d jobs, want 1\n%s", len(calls), out)
			}
			got := calls[0]
			if !bytes.Equal(got.doc, pdf) {
				t.Errorf("spooled %d bytes, want the %d bytes of the PDF, byte for byte", len(got.doc), len(pdf))
			}
			if got.info.User != alice {
				t.Errorf("spooled for %+v, want alice", got.info.User)
			}
			if got.info.Format != "application/pdf" {
				t.Errorf("format %q, want application/pdf", got.info.Format)
			}

			args = append(append([]string{"-t", "-T", "10"}, tc.args...), uri, filepath.Join(ipptoolDir, "get-printer-attributes.test"))
			if out, err := ipptool(t, args...); err != nil {
				t.Fatalf("ipptool get-printer-attributes.test: %v\n%s", err, out)
			}
		})
	}
}

func TestIPPToolWrongPassword(t *testing.T) {
	ipptoolPath(t)
	pdfPath := filepath.Join(t.TempDir(), "hello.pdf")
	if err := os.WriteFile(pdfPath, samplepdf.Page("edgeprint", 0), 0o600); err != nil {
		t.Fatal(err)
	}
	sp := &testSpooler{}
	addr, _ := serveTest(t, newTestServer(t, testConfig(), testAuth{}, sp))
	out, err := ipptool(t, "-t", "-T", "10", "-f", pdfPath,
		"ipps://alice:wrong@"+addr+"/ipp/print", filepath.Join(ipptoolDir, "print-job.test"))
	if err == nil {
		t.Fatalf("ipptool passed with a wrong password:\n%s", out)
	}
	if !strings.Contains(out, "FAIL") {
		t.Errorf("ipptool output does not report a failure:\n%s", out)
	}
	if n := len(sp.spooled()); n != 0 {
		t.Errorf("spooled %d jobs with a wrong password", n)
	}
}
