package relay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// unlockAgent answers POST /relay/v1/unlock as an agent would: its printer
// shows code; every call is recorded.
type unlockAgent struct {
	printerID, code string

	mu    sync.Mutex
	calls []map[string]any
}

func (u *unlockAgent) serve(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls = append(u.calls, req)
	switch {
	case req["printer_id"] != u.printerID:
		w.WriteHeader(http.StatusNotFound)
	case req["code"] != u.code:
		w.WriteHeader(http.StatusForbidden)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (u *unlockAgent) last() map[string]any {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.calls) == 0 {
		return nil
	}
	return u.calls[len(u.calls)-1]
}

// connectUnlockAgent connects c's tunnel and serves unlock calls with h.
func connectUnlockAgent(t *testing.T, r *testRelay, c agentCreds, h http.HandlerFunc) *testAgent {
	t.Helper()
	sess, err := dialTunnel(t.Context(), r, c.id, c.secret, c.machine)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/unlock", h)
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	served := make(chan struct{})
	go func() {
		_ = sess.Serve(mux)
		close(served)
	}()
	t.Cleanup(func() {
		_ = sess.Close()
		<-served
	})
	a := &testAgent{id: c.id, sess: sess}
	a.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, nil)
	return a
}

func (c *console) unlock(t *testing.T, csrf string, body map[string]string) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", c.r.srv.URL()+"/portal/unlock", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set(csrfHeader, csrf)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPortalUnlock(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	beta := initTenant(t, dir, "BETA")
	r := startRelay(t, dir)
	var ann, eve struct{ ID string }
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "ann@acme.example", "name": "Ann", "password": "ann-password"}, 201, &ann)
	r.call(t, "POST", "/api/v1/users", beta.token, map[string]any{"email": "eve@beta.example", "name": "Eve", "password": "eve-password"}, 201, &eve)
	var printer struct{ ID string }
	r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{"name": "Lobby MFP", "address": "10.0.0.5", "protocol": "raw9100"}, 201, &printer)
	acmeAgent := &unlockAgent{printerID: printer.ID, code: "K7QF"}
	ag := connectUnlockAgent(t, r, registerTestAgent(t, r, acme, "HQ-PC"), acmeAgent.serve)
	betaAgent := &unlockAgent{printerID: printer.ID, code: "K7QF"}
	connectUnlockAgent(t, r, registerTestAgent(t, r, beta, "BETA-PC"), betaAgent.serve)

	t.Run("signed out", func(t *testing.T) {
		if st := newConsole(t, r).unlock(t, "x", map[string]string{"printer_id": printer.ID, "code": "K7QF"}); st != http.StatusUnauthorized {
			t.Fatalf("%d, want 401", st)
		}
	})
	c := newConsole(t, r)
	if st := c.login(t, "ACME", "ann@acme.example", "ann-password"); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	csrf := c.csrf(t, "/")
	t.Run("without CSRF token", func(t *testing.T) {
		if st := c.unlock(t, "", map[string]string{"printer_id": printer.ID, "code": "K7QF"}); st != http.StatusForbidden {
			t.Fatalf("%d, want 403", st)
		}
	})
	t.Run("wrong code", func(t *testing.T) {
		if st := c.unlock(t, csrf, map[string]string{"printer_id": printer.ID, "code": "AAAA"}); st != http.StatusForbidden {
			t.Fatalf("%d, want 403", st)
		}
	})
	t.Run("unknown printer", func(t *testing.T) {
		if st := c.unlock(t, csrf, map[string]string{"printer_id": "nope", "code": "K7QF"}); st != http.StatusNotFound {
			t.Fatalf("%d, want 404", st)
		}
	})
	t.Run("right code by name, as a form", func(t *testing.T) {
		resp, _ := c.send(t, "POST", "/portal/unlock", url.Values{"csrf": {csrf}, "printer": {"lobby mfp"}, "code": {"K7QF"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d, want 200", resp.StatusCode)
		}
		got := acmeAgent.last()
		user, _ := got["user"].(map[string]any)
		if got["printer_id"] != printer.ID || user["id"] != ann.ID || user["email"] != "ann@acme.example" {
			t.Fatalf("agent got %v", got)
		}
	})
	t.Run("rate limited per user", func(t *testing.T) {
		// Three attempts above count; the burst is 5.
		st := 0
		for range 3 {
			st = c.unlock(t, csrf, map[string]string{"printer_id": printer.ID, "code": "AAAA"})
		}
		if st != http.StatusTooManyRequests {
			t.Fatalf("%d, want 429", st)
		}
		if !strings.Contains(r.logs.String(), "result=rate-limited") {
			t.Fatal("rate-limited attempt not audited")
		}
	})
	t.Run("another company's printer", func(t *testing.T) {
		e := newConsole(t, r)
		if st := e.login(t, "BETA", "eve@beta.example", "eve-password"); st != http.StatusSeeOther {
			t.Fatalf("login: %d", st)
		}
		if st := e.unlock(t, e.csrf(t, "/"), map[string]string{"printer_id": printer.ID, "code": "K7QF"}); st != http.StatusNotFound {
			t.Fatalf("%d, want 404", st)
		}
		if betaAgent.last() != nil {
			t.Fatal("beta's agent was asked about acme's printer")
		}
	})
	t.Run("auto_release reaches the agent config", func(t *testing.T) {
		var co companyResponse
		r.call(t, "PATCH", "/api/v1/company", acme.token, map[string]any{"auto_release": true}, 200, &co)
		if !co.AutoRelease {
			t.Fatal("auto_release not set")
		}
		var cfg agentConfig
		ag.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, &cfg)
		if !cfg.Company.AutoRelease {
			t.Fatalf("agent config %+v", cfg.Company)
		}
	})
}

func TestPanelLogoutAPI(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	beta := initTenant(t, dir, "BETA")
	r := startRelay(t, dir)
	var printer struct{ ID string }
	r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{"name": "Lobby MFP", "address": "10.0.0.5", "protocol": "raw9100"}, 201, &printer)
	r.call(t, "POST", "/api/v1/printers/"+printer.ID+"/logout", acme.token, nil, http.StatusServiceUnavailable, nil)

	var mu sync.Mutex
	var got []string
	c := registerTestAgent(t, r, acme, "HQ-PC")
	sess, err := dialTunnel(t.Context(), r, c.id, c.secret, c.machine)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/panel/logout", func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			PrinterID string `json:"printer_id"`
		}
		json.NewDecoder(req.Body).Decode(&body)
		mu.Lock()
		got = append(got, body.PrinterID)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	served := make(chan struct{})
	go func() { _ = sess.Serve(mux); close(served) }()
	t.Cleanup(func() { _ = sess.Close(); <-served })
	(&testAgent{id: c.id, sess: sess}).call(t, "GET", "/agent/v1/config", nil, http.StatusOK, nil)

	r.call(t, "POST", "/api/v1/printers/"+printer.ID+"/logout", acme.token, nil, http.StatusNoContent, nil)
	r.call(t, "POST", "/api/v1/printers/"+printer.ID+"/logout", beta.token, nil, http.StatusNotFound, nil)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != printer.ID {
		t.Fatalf("agent got %v", got)
	}
}

func TestAgentAudit(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	ag := connectAgent(t, r, registerTestAgent(t, r, acme, "HQ-PC"))
	ev := map[string]any{"time": "2026-01-02T03:04:05Z", "interface": "panel", "method": "badge", "printer": "p1", "user": "****1234", "result": "denied\nforged=1"}
	ipp := map[string]any{"time": "2026-01-02T03:04:06Z", "interface": "ipp", "method": "password", "user": "bob", "result": "accepted"}
	ag.call(t, "POST", "/agent/v1/audit", map[string]any{"events": []any{ev, ipp}}, http.StatusNoContent, nil)
	var evs []store.AuditEvent
	r.call(t, "GET", "/api/v1/audit/events?kind=login&channel=panel", acme.token, nil, 200, &evs)
	if len(evs) != 1 || evs[0].Outcome != store.OutcomeRefused || evs[0].Actor != "****1234" ||
		!strings.Contains(evs[0].Detail, "badge at printer p1") || !evs[0].Time.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("panel login in the audit log: %+v", evs)
	}
	r.call(t, "GET", "/api/v1/audit/events?kind=login&channel=ipp", acme.token, nil, 200, &evs)
	if len(evs) != 0 {
		t.Fatalf("IPP logins are recorded by /agent/v1/auth, not twice: %+v", evs)
	}
	many := make([]any, maxAuditBatch+1)
	for i := range many {
		many[i] = ev
	}
	ag.call(t, "POST", "/agent/v1/audit", map[string]any{"events": many}, http.StatusBadRequest, nil)
}
