package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/OpenPrinting/goipp"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/demo"
	"github.com/edgeprint/edgeprint/relay"
)

// TestMain lets the test binary stand in for the edgeprint binary, so a test
// can run the agent as a process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("EDGEPRINT_TEST_MAIN") == "1" {
		if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "edgeprint:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestJobDurableBeforeAck kills the agent with SIGKILL the moment the IPP
// response arrives: the job and its document must already be on disk, and
// the restarted agent must deliver it to the relay.
func TestJobDurableBeforeAck(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	site := newTestSite(t, ctx)

	agentProc := site.startAgent(t)
	doc := demo.SamplePDF()
	status := printJob(t, ctx, site.ippAddr, site.userEmail, site.userPassword, doc)
	agentProc.Process.Kill() // SIGKILL: no chance to flush anything
	agentProc.Wait()
	if status != goipp.StatusOk {
		t.Fatalf("Print-Job answered %v", status)
	}

	// The spool as the restarted agent opens it: the record log replayed,
	// crash recovery done. The job may have been only in the log.
	sp, err := agent.OpenSpool(site.agentDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sp.Count(); err != nil || n != 1 {
		sp.Close()
		t.Fatalf("after kill: %d jobs in the agent spool (err %v), want 1", n, err)
	}
	sp.Close()
	store, err := agent.OpenStore(filepath.Join(site.agentDir, "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := store.Jobs(func(agent.JobRecord) bool { return true })
	store.Close()
	if err != nil || len(jobs) != 1 {
		t.Fatalf("after kill: %d jobs in the agent database (err %v), want 1", len(jobs), err)
	}
	sp, err = agent.OpenSpool(site.agentDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r, err := sp.Open(jobs[0])
	if err != nil {
		sp.Close()
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	sp.Close()
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("after kill: spooled document is %d bytes (err %v), want the %d sent", len(got), err, len(doc))
	}

	agentProc = site.startAgent(t)
	defer func() { agentProc.Process.Signal(syscall.SIGTERM); agentProc.Wait() }()
	for {
		if held := site.heldJobs(t, ctx); len(held) == 1 && held[0] == jobs[0].ID {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the restarted agent never delivered the job to the relay")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type testSite struct {
	relayURL, fingerprint, token string
	userEmail, userPassword      string
	agentDir, configPath         string
	ippAddr                      string
}

func newTestSite(t *testing.T, ctx context.Context) *testSite {
	t.Helper()
	relayDir := t.TempDir()
	init, err := relay.Init(ctx, relayDir, relay.InitOptions{
		CompanyCode: "ACME", CompanyName: "Acme", AdminEmail: "it@acme.example", AdminPassword: "correct horse battery",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := relay.New(relay.Config{Listen: "127.0.0.1:0", DataDir: relayDir, AdminListen: "off"}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(rctx); close(done) }()
	t.Cleanup(func() { rcancel(); <-done })

	s := &testSite{relayURL: srv.URL(), fingerprint: srv.Fingerprint(), token: init.APIToken,
		userEmail: "bob@acme.example", userPassword: "bobs password 1", agentDir: t.TempDir()}
	s.api(t, ctx, http.MethodPost, "/api/v1/users", map[string]any{
		"email": s.userEmail, "name": "Bob", "password": s.userPassword, "cards": []string{"55555555"}}, nil)
	var code struct{ Code string }
	s.api(t, ctx, http.MethodPost, "/api/v1/activation-codes", map[string]any{}, &code)
	if _, err := agent.Register(ctx, s.agentDir, agent.Registration{
		RelayURL: s.relayURL, RelayFingerprint: s.fingerprint, Company: "ACME", ActivationCode: code.Code,
		AdminEmail: "it@acme.example", AdminPassword: "correct horse battery", Name: "test",
	}); err != nil {
		t.Fatal(err)
	}
	s.ippAddr = freeAddr(t)
	cfg := map[string]any{
		"data_dir": s.agentDir, "site": "Test",
		"admin":        map[string]any{"listen": freeAddr(t)},
		"ipp":          map[string]any{"listen": s.ippAddr},
		"card_readers": map[string]any{"elatec_tcpconv": "off", "elatec_tcpconv2": "off", "rfideas_241": "off"},
		"panel":        map[string]any{"convenience_auth_listen": "off", "sso_listen": "off"},
		// Tests talk to loopback only: no sweep of this host's subnets.
		"discovery": map[string]any{"disabled": true},
	}
	data, _ := json.Marshal(cfg)
	s.configPath = filepath.Join(t.TempDir(), "agent.json")
	if err := os.WriteFile(s.configPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// startAgent runs "edgeprint agent" as a child process and waits for its
// print queue to accept connections.
func (s *testSite) startAgent(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "agent", "--config", s.configPath)
	cmd.Env = append(os.Environ(), "EDGEPRINT_TEST_MAIN=1")
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", s.ippAddr)
		if err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("agent did not start listening")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *testSite) api(t *testing.T, ctx context.Context, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	req, _ := http.NewRequestWithContext(ctx, method, s.relayURL+path, body)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(s.fingerprint)}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *testSite) heldJobs(t *testing.T, ctx context.Context) []string {
	var jobs []struct{ ID string }
	s.api(t, ctx, http.MethodGet, "/api/v1/jobs?"+url.Values{"user": {s.userEmail}, "state": {"held"}}.Encode(), nil, &jobs)
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

// printJob sends one Print-Job over plain IPP on loopback and returns the
// IPP status, having read the whole response.
func printJob(t *testing.T, ctx context.Context, addr, user, password string, doc []byte) goipp.Status {
	t.Helper()
	uri := "ipp://" + addr + "/ipp/print"
	m := goipp.NewRequest(goipp.DefaultVersion, goipp.OpPrintJob, 1)
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(uri)))
	m.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String(user)))
	m.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String("durable.pdf")))
	m.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String("application/pdf")))
	head, err := m.EncodeBytes()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/ipp/print",
		io.MultiReader(bytes.NewReader(head), bytes.NewReader(doc)))
	req.ContentLength = int64(len(head) + len(doc))
	req.Header.Set("Content-Type", goipp.ContentType)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Print-Job: HTTP %s", resp.Status)
	}
	var out goipp.Message
	if err := out.DecodeBytes(body); err != nil {
		t.Fatal(err)
	}
	return goipp.Status(out.Code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
