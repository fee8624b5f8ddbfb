package relay

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSwipesAuditAndClaim: agents report swipes; the admin reads them in
// the audit with masked cards; a signed-in user claims the unknown badge
// they just swiped at a reader, and nobody can claim it for someone else.
func TestSwipesAuditAndClaim(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	var ann, bob, printer, r1, r2 struct{ ID string }
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "ann@acme.example", "name": "Ann", "password": "ann-password", "cards": []string{"AAAA"}}, 201, &ann)
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "bob@acme.example", "name": "Bob", "password": "bob-password"}, 201, &bob)
	r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{"name": "Lobby", "address": "10.0.0.5", "protocol": "raw9100"}, 201, &printer)
	for _, bad := range []map[string]any{
		{"mode": "sideways"},
		{"mode": "client", "port": 7000},
		{"release": "some"},
		{"conversion": []map[string]string{{"op": "explode"}}},
	} {
		req := map[string]any{"model": "rfideas-241", "address": "10.0.0.9", "printer_id": printer.ID}
		for k, v := range bad {
			req[k] = v
		}
		if status, body := r.do(t, "POST", "/api/v1/readers", acme.token, req); status != 400 {
			t.Errorf("reader %v: %d %s, want 400", bad, status, body)
		}
	}
	r.call(t, "POST", "/api/v1/readers", acme.token, map[string]any{"model": "rfideas-241", "address": "10.0.0.6", "printer_id": printer.ID,
		"mode": "server", "conversion": []map[string]string{{"op": "dec_to_hex"}, {"op": "reverse_bytes"}}, "feedback": true}, 201, &r1)
	r.call(t, "POST", "/api/v1/readers", acme.token, map[string]any{"model": "elatec-tcpconv", "address": "10.0.0.7", "printer_id": printer.ID}, 201, &r2)
	var readers []readerResponse
	r.call(t, "GET", "/api/v1/readers", acme.token, nil, 200, &readers)
	if len(readers) != 2 || readers[0].Mode != "server" || readers[0].Port != 2001 || readers[0].Release != "all" || !readers[0].Feedback || len(readers[0].Conversion) == 0 {
		t.Fatalf("readers: %+v", readers)
	}

	ag := connectAgent(t, r, registerTestAgent(t, r, acme, "HQ-PC"))
	var cfg agentConfig
	ag.call(t, "GET", "/agent/v1/config", nil, 200, &cfg)
	if len(cfg.Readers) != 2 || cfg.Readers[0].Mode != "server" {
		t.Fatalf("agent config lacks reader options: %+v", cfg.Readers)
	}
	swipe := func(addr, card, outcome, user string) {
		t.Helper()
		ag.call(t, "POST", "/agent/v1/swipes", map[string]any{"reader_address": addr, "printer_id": printer.ID, "user_id": user,
			"outcome": outcome, "card_masked": "****" + card[len(card)-4:], "card": card, "jobs": 1}, 204, nil)
	}
	swipe("10.0.0.6", "AAAA", "released", ann.ID)
	swipe("10.0.0.6", "00C0FFEE", "unknown", "")
	ag.call(t, "POST", "/agent/v1/swipes", map[string]any{"reader_address": "10.0.0.6", "outcome": "exploded"}, 400, nil)

	var audit []map[string]any
	r.call(t, "GET", "/api/v1/audit/events?kind=swipe", acme.token, nil, 200, &audit)
	if len(audit) != 2 || audit[0]["outcome"] != "unknown" || audit[0]["actor"] != "****FFEE" || audit[1]["user_id"] != ann.ID ||
		audit[0]["channel"] != "reader" || !strings.Contains(audit[0]["detail"].(string), r1.ID) {
		t.Fatalf("audit: %+v", audit)
	}
	if raw, _ := json.Marshal(audit); bytes.Contains(raw, []byte("C0FFEE")) {
		t.Fatalf("audit shows a whole card number: %s", raw)
	}

	bobC := newConsole(t, r)
	if status := bobC.login(t, "ACME", "bob@acme.example", "bob-password"); status != http.StatusSeeOther {
		t.Fatalf("login: %d", status)
	}
	claim := func(c *console, reader string) (int, string) {
		t.Helper()
		resp, body := c.send(t, "POST", "/cards/claim", url.Values{"csrf": {c.csrf(t, "/cards/claim")}, "reader_id": {reader}})
		return resp.StatusCode, string(body)
	}
	t.Run("no token can claim", func(t *testing.T) {
		if status, _ := r.do(t, "POST", "/portal/v1/cards/claim", acme.token, map[string]string{"reader_id": r1.ID}); status != 401 {
			t.Fatalf("admin token: %d, want 401", status)
		}
		if resp, _ := bobC.send(t, "POST", "/cards/claim", url.Values{"csrf": {"forged"}, "reader_id": {r1.ID}}); resp.StatusCode != 403 {
			t.Fatalf("forged CSRF: %d", resp.StatusCode)
		}
	})
	if status, body := claim(bobC, r2.ID); status != 404 || !strings.Contains(body, "no unknown badge") {
		t.Fatalf("claim at a reader with no unknown swipe: %d %s", status, body)
	}
	if status, body := claim(bobC, r1.ID); status != 200 || !strings.Contains(body, "****FFEE") {
		t.Fatalf("claim: %d %s", status, body)
	}
	var owner identity
	ag.call(t, "POST", "/agent/v1/cards/lookup", map[string]string{"card": "00C0FFEE"}, 200, &owner)
	if owner.ID != bob.ID {
		t.Fatalf("claimed card belongs to %+v, want bob", owner)
	}
	if status, _ := claim(bobC, r1.ID); status != 404 {
		t.Fatalf("second claim: %d", status)
	}
	// A card someone owns is never kept as unknown, so never claimable.
	swipe("10.0.0.7", "AAAA", "unknown", "")
	if status, _ := claim(bobC, r2.ID); status != 404 {
		t.Fatalf("claim of ann's card: %d", status)
	}
	// Two unknown badges at one reader: nobody can tell whose is whose.
	swipe("10.0.0.7", "1111", "unknown", "")
	swipe("10.0.0.7", "2222", "unknown", "")
	if status, body := claim(bobC, r2.ID); status != 409 {
		t.Fatalf("ambiguous claim: %d %s", status, body)
	}

	t.Run("json route", func(t *testing.T) {
		swipe("10.0.0.6", "00003333", "unknown", "")
		c := newConsole(t, r)
		if status := c.login(t, "ACME", "ann@acme.example", "ann-password"); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		post := func(csrf string) (int, string) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", r.srv.URL()+"/portal/v1/cards/claim", strings.NewReader(`{"reader_id":"`+r1.ID+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", csrf)
			resp, err := c.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if status, _ := post("wrong"); status != 401 {
			t.Fatalf("without the session's CSRF token: %d", status)
		}
		if status, body := post(c.csrf(t, "/cards/claim")); status != 200 || !strings.Contains(body, "****3333") {
			t.Fatalf("json claim: %d %s", status, body)
		}
	})
}
