package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/relay"
	"github.com/edgeprint/edgeprint/update"
)

// TestServiceRunUpdatesOverTheTunnel runs the real thing: a relay, and
// "edgeprint service run" of a binary built with a test release key. The
// relay offers a signed newer build; the agent downloads it through the
// tunnel, verifies it and exits; the supervisor starts the new binary on
// probation, which reaches the relay and is committed.
func TestServiceRunUpdatesOverTheTunnel(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("builds two agent binaries; linux only")
	}
	root := t.TempDir()
	pub, privText, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := update.ParsePrivateKey(privText)
	build := func(version string) string {
		out := filepath.Join(root, "build-"+version, "edgeprint")
		cmd := exec.Command("go", "build", "-o", out, "-ldflags",
			"-X main.version="+version+" -X github.com/edgeprint/edgeprint/update.PublicKey="+pub, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", version, err, b)
		}
		return out
	}
	v1, v2 := build("1.0.0"), build("2.0.0")

	// The relay, with a company and the 2.0.0 release.
	relayDir := filepath.Join(root, "relay")
	init, err := relay.Init(t.Context(), relayDir, relay.InitOptions{CompanyCode: "ACME", CompanyName: "Acme", AdminEmail: "it@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := update.Describe(v2, "2.0.0", runtime.GOOS, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	rel.Sign(priv)
	if err := relay.AddRelease(relayDir, v2, rel); err != nil {
		t.Fatal(err)
	}
	srv, err := relay.New(relay.Config{Listen: "127.0.0.1:0", DataDir: relayDir, AdminListen: relay.AdminOff},
		slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() { cancel(); <-served }()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(srv.Fingerprint())}}
	req, _ := http.NewRequest("POST", srv.URL()+"/api/v1/activation-codes", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+init.APIToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var code struct{ Code string }
	json.NewDecoder(resp.Body).Decode(&code)
	resp.Body.Close()

	// The agent: registered the way "service install" does it.
	dataDir := filepath.Join(root, "agent")
	cfgPath := filepath.Join(root, "agent.json")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `{"data_dir": %q, "site": "Test",
		"admin": {"listen": "127.0.0.1:0"}, "ipp": {"listen": "127.0.0.1:0"},
		"card_readers": {"elatec_tcpconv": "off", "elatec_tcpconv2": "off", "rfideas_241": "off"}}`, dataDir), 0o600)
	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"agent", "register", "--config", cfgPath, "--relay", srv.URL(),
		"--relay-fingerprint", srv.Fingerprint(), "--company", "ACME", "--activation-code", code.Code,
		"--admin-email", "it@acme.example"}, strings.NewReader(init.AdminPassword+"\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("register: %v\n%s", err, errOut.String())
	}

	svc := exec.Command(v1, "service", "run", "--config", cfgPath)
	var logs syncWriter
	svc.Stdout, svc.Stderr = &logs, &logs
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- svc.Wait() }()
	defer func() {
		svc.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			svc.Process.Kill()
		}
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	}()

	dir := update.Dir{Path: filepath.Join(dataDir, "bin")}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, _ := dir.State()
		if st.Version == "2.0.0" && !st.Pending {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("service exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("update not applied and committed; state %+v", st)
		}
	}
	got, _ := os.ReadFile(dir.Current())
	want, _ := os.ReadFile(v2)
	if !bytes.Equal(got, want) {
		t.Fatal("the running update is not the released binary")
	}
	if !strings.Contains(logs.String(), "update is healthy") {
		t.Fatalf("supervisor did not see the update come up:\n%s", logs.String())
	}
	// The relay sees the new version when the updated agent connects.
	req, _ = http.NewRequest("GET", srv.URL()+"/api/v1/agents", nil)
	req.Header.Set("Authorization", "Bearer "+init.APIToken)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var agents []struct{ Version string }
	json.NewDecoder(resp.Body).Decode(&agents)
	resp.Body.Close()
	if len(agents) != 1 || agents[0].Version != "2.0.0" {
		t.Fatalf("relay lists agents %+v, want version 2.0.0", agents)
	}
}

type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
