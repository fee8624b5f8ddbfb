package relay

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{DataDir: "/var/lib/edgeprint"}, true},
		{"full", Config{Listen: ":8443", DataDir: "d", CertFile: "c.pem", KeyFile: "k.pem", Hosts: []string{"relay.example", "10.0.0.1"}, AdminListen: "127.0.0.1:9632"}, true},
		{"admin off", Config{DataDir: "d", AdminListen: "off"}, true},
		{"no data dir", Config{}, false},
		{"bad listen", Config{DataDir: "d", Listen: "443"}, false},
		{"bad admin listen", Config{DataDir: "d", AdminListen: "localhost"}, false},
		{"cert without key", Config{DataDir: "d", CertFile: "c.pem"}, false},
		{"bad host", Config{DataDir: "d", Hosts: []string{"a b"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate: %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestAdminListener(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	connectAgent(t, r, registerTestAgent(t, r, acme, "pc"))
	admin := "http://" + r.srv.AdminAddr().String()

	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(t, admin+"/healthz"); status != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", status, body)
	}
	status, body := get(t, admin+"/metrics")
	if status != 200 {
		t.Fatalf("metrics: %d", status)
	}
	for _, want := range []string{
		"edgeprint_relay_agents_connected 1",
		`edgeprint_relay_api_requests_total{code="201",route="POST /api/v1/agents/register"} 1`,
		"edgeprint_relay_jobs_stored_total 0",
		"edgeprint_relay_jobs_printed_total 0",
		`edgeprint_relay_document_bytes_total{direction="in"} 0`,
		"edgeprint_tunnel_connected 1",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if status, _ := r.do(t, "GET", "/metrics", "", nil); status != http.StatusNotFound {
		t.Fatalf("/metrics on the public port: %d", status)
	}
}

func TestAdminOff(t *testing.T) {
	srv, err := New(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminListen: AdminOff}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.AdminAddr() != nil {
		t.Fatalf("admin listener on %v", srv.AdminAddr())
	}
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %q", srv.URL())
	}
}

func TestSecondRelayOnDataDir(t *testing.T) {
	embeddedOnly(t, "the bbolt file lock; on PostgreSQL a second relay is a replica")
	dir := t.TempDir()
	startRelay(t, dir)
	if _, err := New(Config{Listen: "127.0.0.1:0", DataDir: dir}, nil); err == nil || !strings.Contains(err.Error(), "stop the relay first") {
		t.Fatalf("second relay on one data dir: %v", err)
	}
}

func TestMasterKey(t *testing.T) {
	dir := t.TempDir()
	log := newCore(t).log
	k1, err := loadMasterKey(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, masterKeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, %v", info, err)
	}
	docKey := bytes.Repeat([]byte{9}, 32)
	wrapped, err := k1.wrap(docKey, "c1", "j1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, docKey) {
		t.Fatal("wrapped key holds the key")
	}
	k2, err := loadMasterKey(dir, log) // the next start
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.unwrap(wrapped, "c1", "j1"); err != nil || !bytes.Equal(got, docKey) {
		t.Fatalf("unwrap after reload: %x, %v", got, err)
	}
	tests := []struct {
		name         string
		wrapped      []byte
		company, job string
	}{
		{"other job", wrapped, "c1", "j2"},
		{"other company", wrapped, "c2", "j1"},
		{"flipped", append(bytes.Clone(wrapped[:len(wrapped)-1]), wrapped[len(wrapped)-1]^1), "c1", "j1"},
		{"short", wrapped[:10], "c1", "j1"},
		{"empty", nil, "c1", "j1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := k2.unwrap(tc.wrapped, tc.company, tc.job); err == nil {
				t.Fatal("unwrapped")
			}
		})
	}
	other, _ := loadMasterKey(t.TempDir(), log)
	if _, err := other.unwrap(wrapped, "c1", "j1"); err == nil {
		t.Fatal("another master key unwrapped it")
	}
	if err := os.WriteFile(filepath.Join(dir, masterKeyFile), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadMasterKey(dir, log); err == nil {
		t.Fatal("a 5-byte master key was accepted")
	}
}
