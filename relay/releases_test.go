package relay

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/update"
)

// addTestRelease signs body as version for linux/amd64 and adds it.
func addTestRelease(t *testing.T, dataDir string, priv ed25519.PrivateKey, version string, body []byte) update.Release {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "edgeprint")
	if err := os.WriteFile(bin, body, 0o755); err != nil {
		t.Fatal(err)
	}
	rel, err := update.Describe(bin, version, "linux", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	rel.Sign(priv)
	if err := AddRelease(dataDir, bin, rel); err != nil {
		t.Fatal(err)
	}
	return rel
}

func TestReleasesForAgents(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	globex := initTenant(t, dir, "GLOBEX")
	pub, priv, _ := ed25519.GenerateKey(nil)
	addTestRelease(t, dir, priv, "1.1.0", []byte("agent 1.1.0"))
	body := bytes.Repeat([]byte("agent 1.2.0 "), 10000)
	newest := addTestRelease(t, dir, priv, "1.2.0", body)

	r := startRelay(t, dir)
	creds := registerTestAgent(t, r, acme, "HQ-PC-01")
	a := connectAgent(t, r, creds)

	latest := func(current string, want int) update.Release {
		t.Helper()
		var rel update.Release
		a.call(t, "GET", "/agent/v1/release?os=linux&arch=amd64&current="+current, nil, want, &rel)
		return rel
	}
	t.Run("newest is offered to an older agent", func(t *testing.T) {
		if rel := latest("1.0.0", http.StatusOK); rel != newest {
			t.Fatalf("offered %+v, want %+v", rel, newest)
		}
	})
	t.Run("nothing for an agent that is current", func(t *testing.T) {
		latest("1.2.0", http.StatusNoContent)
	})
	t.Run("nothing for another platform", func(t *testing.T) {
		a.call(t, "GET", "/agent/v1/release?os=windows&arch=amd64&current=0.1.0", nil, http.StatusNoContent, nil)
	})
	t.Run("binary downloads over the tunnel and verifies", func(t *testing.T) {
		resp := a.do(t, "GET", "/agent/v1/release/1.2.0/binary?os=linux&arch=amd64", nil, nil)
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if err := (update.Dir{Path: t.TempDir()}).Apply(resp.Body, newest, pub); err != nil {
			t.Fatalf("downloaded release does not verify: %v", err)
		}
	})
	t.Run("unknown version and path tricks are not found", func(t *testing.T) {
		for _, path := range []string{
			"/agent/v1/release/9.9.9/binary?os=linux&arch=amd64",
			"/agent/v1/release/1.2.0/binary?os=..&arch=amd64",
			"/agent/v1/release/1.2.0/binary?os=linux&arch=../../relay.db",
		} {
			resp := a.do(t, "GET", path, nil, nil)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, resp.StatusCode)
			}
		}
	})

	t.Run("company switch", func(t *testing.T) {
		var c companyResponse
		r.call(t, "PATCH", "/api/v1/company", acme.token, map[string]bool{"updates_enabled": false}, http.StatusOK, &c)
		if c.UpdatesEnabled {
			t.Fatal("company still has updates on")
		}
		latest("1.0.0", http.StatusNoContent)
		a.call(t, "GET", "/agent/v1/release/1.2.0/binary?os=linux&arch=amd64", nil, http.StatusForbidden, nil)
		r.call(t, "PATCH", "/api/v1/company", acme.token, map[string]bool{"updates_enabled": true}, http.StatusOK, nil)
		latest("1.0.0", http.StatusOK)
	})
	t.Run("agent switch", func(t *testing.T) {
		path := "/api/v1/agents/" + creds.id
		r.call(t, "PATCH", path, globex.token, map[string]bool{"updates_enabled": false}, http.StatusNotFound, nil)
		latest("1.0.0", http.StatusOK)
		var ag agentResponse
		r.call(t, "PATCH", path, acme.token, map[string]bool{"updates_enabled": false}, http.StatusOK, &ag)
		if ag.UpdatesEnabled || ag.ID != creds.id {
			t.Fatalf("agent %+v", ag)
		}
		latest("1.0.0", http.StatusNoContent)
		var list []agentResponse
		r.call(t, "GET", "/api/v1/agents", acme.token, nil, http.StatusOK, &list)
		if len(list) != 1 || list[0].UpdatesEnabled {
			t.Fatalf("agents %+v", list)
		}
	})
}

func TestAddReleaseChecksTheFile(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(nil)
	bin := filepath.Join(t.TempDir(), "edgeprint")
	os.WriteFile(bin, []byte("agent"), 0o755)
	good, _ := update.Describe(bin, "1.0.0", "linux", "amd64")
	good.Sign(priv)
	tests := []struct {
		name string
		edit func(*update.Release)
	}{
		{"other digest", func(r *update.Release) { r.SHA256 = fmt.Sprintf("%064x", 1) }},
		{"other size", func(r *update.Release) { r.Size++ }},
		{"unsigned", func(r *update.Release) { r.Signature = "" }},
		{"path in version", func(r *update.Release) { r.Version = "../1.0.0" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rel := good
			tc.edit(&rel)
			if err := AddRelease(dir, bin, rel); err == nil {
				t.Fatal("added")
			}
		})
	}
	if _, err := latestRelease(dir, "linux", "amd64"); err == nil {
		t.Fatal("a refused release is offered")
	}
}

func TestTurningUpdatesOnAsksAgentsToCheck(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	creds := registerTestAgent(t, r, acme, "HQ-PC-02")
	sess, err := dialTunnel(t.Context(), r, creds.id, creds.secret, creds.machine)
	if err != nil {
		t.Fatal(err)
	}
	asked := make(chan struct{}, 4)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/update", func(w http.ResponseWriter, _ *http.Request) {
		asked <- struct{}{}
		w.WriteHeader(http.StatusAccepted)
	})
	served := make(chan struct{})
	go func() { _ = sess.Serve(mux); close(served) }()
	t.Cleanup(func() { sess.Close(); <-served })
	a := &testAgent{id: creds.id, sess: sess}
	a.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, nil) // the relay serves the tunnel

	tests := []struct {
		name, path string
		on         bool
		wantAsk    bool
	}{
		{"company off", "/api/v1/company", false, false},
		{"company on", "/api/v1/company", true, true},
		{"agent on", "/api/v1/agents/" + creds.id, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.call(t, "PATCH", tc.path, acme.token, map[string]bool{"updates_enabled": tc.on}, http.StatusOK, nil)
			select {
			case <-asked:
				if !tc.wantAsk {
					t.Fatal("agent asked to check while updates are off")
				}
			case <-time.After(2 * time.Second):
				if tc.wantAsk {
					t.Fatal("agent was not asked to check")
				}
			}
		})
	}
}
