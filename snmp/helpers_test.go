package snmp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// snmpsimdStart bounds how long snmpsimd may take to index the walks.
const snmpsimdStart = 60 * time.Second

// testdataDir finds the shared SNMP walks: $EDGEPRINT_SNMP_TESTDATA, else
// ../shared/testdata/snmp beside the repository root (the CI layout).
func testdataDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("EDGEPRINT_SNMP_TESTDATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("snmp: no go.mod above the test directory")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "testdata", "snmp")
	if _, err := os.Stat(filepath.Join(d, "EXPECTED.tsv")); err != nil {
		needPeer(tb, "shared SNMP walks in "+d)
	}
	return d
}

// needPeer skips locally and fails in CI when a real peer is missing.
func needPeer(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s is missing (required in CI)", what)
	}
	tb.Skipf("%s is missing", what)
}

// expectedRow is one line of EXPECTED.tsv.
type expectedRow struct {
	file, manufacturer, model, serial, mac, kind string
}

func readExpected(tb testing.TB, dir string) []expectedRow {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, "EXPECTED.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []expectedRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		c := strings.Split(sc.Text(), "\t")
		if first || len(c) < 9 {
			continue
		}
		rows = append(rows, expectedRow{c[0], c[1], c[2], c[3], c[4], c[8]})
	}
	return rows
}

// record is one line of an .snmprec file.
type record struct{ oid, tag, value string }

func readRecords(tb testing.TB, path string) map[string]record {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]record{}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) == 3 {
			out[parts[0]] = record{parts[0], parts[1], parts[2]}
		}
	}
	return out
}

// simV3 is the SNMPv3 user snmpsimd accepts; the context name picks the
// walk, as the community does for v1/v2c.
var simV3 = Credential{Version: "3", Username: "edgeprint", AuthProtocol: "SHA", AuthPassphrase: "auth-passphrase",
	PrivProtocol: "AES", PrivPassphrase: "priv-passphrase"}

// simd is the one snmpsimd of this test binary, serving every walk.
var simd struct {
	once sync.Once
	addr string
	err  error
	cmd  *exec.Cmd
	dir  string
}

// snmpsimd starts (once) snmpsimd on 127.0.0.1 serving dir; the community
// of each walk is its file name without .snmprec.
func snmpsimd(tb testing.TB, dir string) (host string, port int) {
	tb.Helper()
	bin, err := exec.LookPath("snmpsimd")
	if err != nil {
		needPeer(tb, "snmpsimd (Debian snmpsim)")
	}
	simd.once.Do(func() {
		simd.addr, simd.err = startSnmpsimd(bin, dir)
	})
	if simd.err != nil {
		tb.Fatal(simd.err)
	}
	h, p, _ := net.SplitHostPort(simd.addr)
	fmt.Sscan(p, &port)
	return h, port
}

func startSnmpsimd(bin, dir string) (string, error) {
	tmp, err := os.MkdirTemp("", "edgeprint-snmpsimd-")
	if err != nil {
		return "", err
	}
	simd.dir = tmp
	cache := filepath.Join(tmp, "cache")
	if err := os.MkdirAll(cache, 0o777); err != nil {
		return "", err
	}
	os.Chmod(tmp, 0o777)
	os.Chmod(cache, 0o777)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	args := []string{"--data-dir=" + dir, "--cache-dir=" + cache, "--agent-udpv4-endpoint=" + addr, "--logging-method=null",
		"--v3-user=" + simV3.Username, "--v3-auth-key=" + string(simV3.AuthPassphrase), "--v3-auth-proto=SHA",
		"--v3-priv-key=" + string(simV3.PrivPassphrase), "--v3-priv-proto=AES"}
	if os.Geteuid() == 0 {
		args = append(args, "--process-user=nobody", "--process-group=nogroup")
	}
	simd.cmd = exec.Command(bin, args...)
	if err := simd.cmd.Start(); err != nil {
		return "", fmt.Errorf("start snmpsimd: %w", err)
	}
	// Ready when it answers a GET on the first walk's community.
	ctx, cancel := context.WithTimeout(context.Background(), snmpsimdStart)
	defer cancel()
	h, p, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(p, &port)
	for ctx.Err() == nil {
		c, err := dial(ctx, h, port, Credential{Community: "canon-d1180"}, 300*time.Millisecond, 0, nil)
		if err == nil {
			_, err = probe(ctx, c)
			c.close()
			if err == nil {
				return addr, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("snmpsimd did not answer on %s within %s", addr, snmpsimdStart)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if simd.cmd != nil && simd.cmd.Process != nil {
		simd.cmd.Process.Kill()
		simd.cmd.Wait()
	}
	if simd.dir != "" {
		os.RemoveAll(simd.dir)
	}
	os.Exit(code)
}
