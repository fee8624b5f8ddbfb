package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
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

// updateRig is a relay with a company and a registered agent whose
// binaries trust a test release key.
type updateRig struct {
	t        *testing.T
	root     string
	pub      string
	priv     ed25519.PrivateKey
	relayDir string
	srv      *relay.Server
	client   *http.Client
	token    string
	cfgPath  string
	dataDir  string
	logs     syncWriter
}

func newUpdateRig(t *testing.T) *updateRig {
	t.Helper()
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("builds agent binaries; linux only")
	}
	root := t.TempDir()
	pub, privText, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := update.ParsePrivateKey(privText)
	u := &updateRig{t: t, root: root, pub: pub, priv: priv, relayDir: filepath.Join(root, "relay"),
		cfgPath: filepath.Join(root, "agent.json"), dataDir: filepath.Join(root, "agent")}

	init, err := relay.Init(t.Context(), u.relayDir, relay.InitOptions{CompanyCode: "ACME", CompanyName: "Acme", AdminEmail: "it@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	u.token = init.APIToken
	u.srv, err = relay.New(relay.Config{Listen: "127.0.0.1:0", DataDir: u.relayDir, AdminListen: relay.AdminOff},
		slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- u.srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-served })
	u.client = &http.Client{Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(u.srv.Fingerprint())}}

	var code struct{ Code string }
	u.api("POST", "/api/v1/activation-codes", `{}`, &code)
	os.WriteFile(u.cfgPath, fmt.Appendf(nil, `{"data_dir": %q, "site": "Test",
		"admin": {"listen": "127.0.0.1:0"}, "ipp": {"listen": "127.0.0.1:0"},
		"card_readers": {"elatec_tcpconv": "off", "elatec_tcpconv2": "off", "rfideas_241": "off"},
		"panel": {"convenience_auth_listen": "off", "sso_listen": "off"}, "discovery": {"disabled": true}}`, u.dataDir), 0o600)
	// Registered the way "service install" does it: the password on stdin.
	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"agent", "register", "--config", u.cfgPath, "--relay", u.srv.URL(),
		"--relay-fingerprint", u.srv.Fingerprint(), "--company", "ACME", "--activation-code", code.Code,
		"--admin-email", "it@acme.example"}, strings.NewReader(init.AdminPassword+"\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("register: %v\n%s", err, errOut.String())
	}
	return u
}

func (u *updateRig) api(method, path, body string, out any) {
	u.t.Helper()
	req, _ := http.NewRequest(method, u.srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := u.client.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		u.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// build builds the agent as version, trusting the rig's release key.
func (u *updateRig) build(version string) string {
	u.t.Helper()
	out := filepath.Join(u.root, "build-"+version, "edgeprint")
	cmd := exec.Command("go", "build", "-o", out, "-ldflags",
		"-X main.version="+version+" -X github.com/edgeprint/edgeprint/update.PublicKey="+u.pub, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		u.t.Fatalf("go build %s: %v\n%s", version, err, b)
	}
	return out
}

// release signs bin as version and adds it to the relay.
func (u *updateRig) release(bin, version string) {
	u.t.Helper()
	rel, err := update.Describe(bin, version, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		u.t.Fatal(err)
	}
	rel.Sign(u.priv)
	if err := relay.AddRelease(u.relayDir, bin, rel); err != nil {
		u.t.Fatal(err)
	}
}

// serviceRun starts "BIN service run" until the test ends.
func (u *updateRig) serviceRun(bin string) <-chan error {
	u.t.Helper()
	svc := exec.Command(bin, "service", "run", "--config", u.cfgPath)
	svc.Stdout, svc.Stderr = &u.logs, &u.logs
	if err := svc.Start(); err != nil {
		u.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- svc.Wait() }()
	u.t.Cleanup(func() {
		svc.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			svc.Process.Kill()
		}
		if u.t.Failed() {
			u.t.Logf("service log:\n%s", u.logs.String())
		}
	})
	return exited
}

// waitFor polls ok until it holds, the service exits or a minute passes.
func (u *updateRig) waitFor(what string, exited <-chan error, ok func() bool) {
	u.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		select {
		case err := <-exited:
			u.t.Fatalf("service exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (u *updateRig) relayVersion() string {
	var agents []struct{ Version string }
	u.api("GET", "/api/v1/agents", "", &agents)
	if len(agents) != 1 {
		u.t.Fatalf("relay lists %d agents", len(agents))
	}
	return agents[0].Version
}

// TestServiceRunUpdatesOverTheTunnel: the relay offers a signed newer
// build; the agent downloads it through the tunnel, verifies it and exits;
// the supervisor starts it on probation; it reaches the relay and is kept.
func TestServiceRunUpdatesOverTheTunnel(t *testing.T) {
	u := newUpdateRig(t)
	v1, v2 := u.build("1.0.0"), u.build("2.0.0")
	u.release(v2, "2.0.0")
	exited := u.serviceRun(v1)

	dir := update.Dir{Path: filepath.Join(u.dataDir, "bin")}
	u.waitFor("2.0.0 committed", exited, func() bool {
		st, _ := dir.State()
		return st.Version == "2.0.0" && !st.Pending
	})
	got, _ := os.ReadFile(dir.Current())
	want, _ := os.ReadFile(v2)
	if !bytes.Equal(got, want) {
		t.Fatal("the running update is not the released binary")
	}
	if !strings.Contains(u.logs.String(), "update is healthy") {
		t.Fatalf("supervisor did not see the update come up:\n%s", u.logs.String())
	}
	if v := u.relayVersion(); v != "2.0.0" {
		t.Fatalf("relay lists the agent at %s, want 2.0.0", v)
	}
}

// TestServiceRunRollsBackAnUpdateThatDoesNotStart: a correctly signed
// release that cannot start is rolled back, and not fetched again.
func TestServiceRunRollsBackAnUpdateThatDoesNotStart(t *testing.T) {
	u := newUpdateRig(t)
	v1 := u.build("1.0.0")
	broken := filepath.Join(u.root, "broken", "edgeprint")
	os.MkdirAll(filepath.Dir(broken), 0o755)
	os.WriteFile(broken, []byte("#!/bin/sh\necho 'cannot start' >&2\nexit 1\n"), 0o755)
	u.release(broken, "2.0.0")
	exited := u.serviceRun(v1)

	dir := update.Dir{Path: filepath.Join(u.dataDir, "bin")}
	u.waitFor("2.0.0 rejected and not retried", exited, func() bool {
		st, _ := dir.State()
		return st.IsRejected("2.0.0") && strings.Contains(u.logs.String(), "not retrying an update that was rolled back")
	})
	if _, err := os.Stat(dir.Current()); !os.IsNotExist(err) {
		t.Fatalf("the broken update is still in place: %v", err)
	}
	if n := strings.Count(u.logs.String(), "downloading update"); n != 1 {
		t.Fatalf("downloaded %d times, want once", n)
	}
	if v := u.relayVersion(); v != "1.0.0" {
		t.Fatalf("relay lists the agent at %s, want 1.0.0", v)
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
