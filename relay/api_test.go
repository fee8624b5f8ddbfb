package relay

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAPI(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	tok := acme.token

	var printer struct{ ID string }
	r.call(t, "POST", "/api/v1/printers", tok, map[string]any{"name": "P1", "address": "printer.acme.example", "protocol": "raw9100"}, http.StatusCreated, &printer)
	r.call(t, "POST", "/api/v1/users", tok, map[string]any{"email": "taken@acme.example", "name": "T", "cards": []string{"ABCD"}}, http.StatusCreated, nil)

	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"user", "POST", "/api/v1/users", map[string]any{"email": "Bob@Acme.example", "name": "Bob", "password": "bob-password", "cards": []string{" 04ab ", "1234"}}, 201},
		{"card-only user", "POST", "/api/v1/users", map[string]any{"email": "cy@acme.example", "name": "Cy", "cards": []string{"99"}}, 201},
		{"admin user", "POST", "/api/v1/users", map[string]any{"email": "dee@acme.example", "name": "Dee", "password": "dee-password", "admin": true}, 201},
		{"user email taken", "POST", "/api/v1/users", map[string]any{"email": "TAKEN@acme.example", "name": "X"}, 409},
		{"user card taken", "POST", "/api/v1/users", map[string]any{"email": "e@acme.example", "name": "X", "cards": []string{"abcd"}}, 409},
		{"user card twice", "POST", "/api/v1/users", map[string]any{"email": "e@acme.example", "name": "X", "cards": []string{"AB", "ab"}}, 400},
		{"user bad card", "POST", "/api/v1/users", map[string]any{"email": "e@acme.example", "name": "X", "cards": []string{"12-34"}}, 400},
		{"user bad email", "POST", "/api/v1/users", map[string]any{"email": "Ann <ann@acme.example>", "name": "X"}, 400},
		{"user no name", "POST", "/api/v1/users", map[string]any{"email": "e@acme.example"}, 400},
		{"user short password", "POST", "/api/v1/users", map[string]any{"email": "e@acme.example", "name": "X", "password": "short"}, 400},
		{"admin without password", "POST", "/api/v1/users", map[string]any{"email": "e@acme.example", "name": "X", "admin": true}, 400},
		{"unknown field", "POST", "/api/v1/users", map[string]any{"email": "e@acme.example", "name": "X", "role": "admin"}, 400},
		{"trailing data", "POST", "/api/v1/users", `{"email":"e@acme.example","name":"X"} {}`, 400},
		{"not JSON", "POST", "/api/v1/users", `email=e`, 400},
		{"empty body", "POST", "/api/v1/users", nil, 400},
		{"body too big", "POST", "/api/v1/users", `{"name":"` + strings.Repeat("x", maxJSONBody) + `"}`, 413},

		{"raw printer", "POST", "/api/v1/printers", map[string]any{"name": "P2", "address": "10.1.2.3", "protocol": "raw9100", "port": 9101}, 201},
		{"lpr printer", "POST", "/api/v1/printers", map[string]any{"name": "P3", "address": "10.1.2.4", "protocol": "lpr", "queue": "secure", "enabled": false}, 201},
		{"lpr without queue", "POST", "/api/v1/printers", map[string]any{"name": "P", "address": "10.1.2.4", "protocol": "lpr"}, 400},
		{"raw with queue", "POST", "/api/v1/printers", map[string]any{"name": "P", "address": "10.1.2.4", "protocol": "raw9100", "queue": "q"}, 400},
		{"bad protocol", "POST", "/api/v1/printers", map[string]any{"name": "P", "address": "10.1.2.4", "protocol": "ipp"}, 400},
		{"bad port", "POST", "/api/v1/printers", map[string]any{"name": "P", "address": "10.1.2.4", "protocol": "raw9100", "port": 70000}, 400},
		{"bad address", "POST", "/api/v1/printers", map[string]any{"name": "P", "address": "10.1.2.4:9100", "protocol": "raw9100"}, 400},
		{"no printer name", "POST", "/api/v1/printers", map[string]any{"address": "10.1.2.4", "protocol": "raw9100"}, 400},

		{"reader", "POST", "/api/v1/readers", map[string]any{"model": "rfideas-241", "address": "10.1.2.9", "printer_id": printer.ID}, 201},
		{"reader bad model", "POST", "/api/v1/readers", map[string]any{"model": "hid", "address": "10.1.2.9", "printer_id": printer.ID}, 400},
		{"reader unknown printer", "POST", "/api/v1/readers", map[string]any{"model": "elatec-tcpconv", "address": "10.1.2.9", "printer_id": "nope"}, 400},
		{"reader no printer", "POST", "/api/v1/readers", map[string]any{"model": "elatec-tcpconv", "address": "10.1.2.9"}, 400},

		{"jobs", "GET", "/api/v1/jobs?state=held", nil, 200},
		{"jobs bad state", "GET", "/api/v1/jobs?state=lost", nil, 400},
		{"jobs unknown filter", "GET", "/api/v1/jobs?status=held", nil, 400},

		{"code default ttl", "POST", "/api/v1/activation-codes", nil, 201},
		{"code ttl", "POST", "/api/v1/activation-codes", map[string]int{"ttl_hours": 2}, 201},
		{"code ttl too long", "POST", "/api/v1/activation-codes", map[string]int{"ttl_hours": 1000}, 400},
		{"code negative ttl", "POST", "/api/v1/activation-codes", map[string]int{"ttl_hours": -1}, 400},

		{"company", "GET", "/api/v1/company", nil, 200},
		{"company retention", "PATCH", "/api/v1/company", map[string]string{"retention": "7d"}, 200},
		{"company bad retention", "PATCH", "/api/v1/company", map[string]string{"retention": "30d"}, 400},
		{"company code is fixed", "PATCH", "/api/v1/company", map[string]string{"code": "OTHER"}, 400},

		{"unknown route", "GET", "/api/v1/nope", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := r.do(t, tc.method, tc.path, tok, tc.body)
			if status != tc.want {
				t.Fatalf("%d %s, want %d", status, body, tc.want)
			}
			if status >= 400 {
				var e struct{ Error string }
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Fatalf("error body %q is not {\"error\": ...}", body)
				}
			}
		})
	}

	t.Run("list users without secrets", func(t *testing.T) {
		status, body := r.do(t, "GET", "/api/v1/users", tok, nil)
		if status != 200 || strings.Contains(string(body), "argon2") || strings.Contains(string(body), "password") {
			t.Fatalf("%d %s", status, body)
		}
		var users []userResponse
		json.Unmarshal(body, &users)
		found := false
		for _, u := range users {
			if u.Email == "bob@acme.example" {
				found = true
				if strings.Join(u.Cards, ",") != "04AB,1234" {
					t.Fatalf("cards stored as %v", u.Cards)
				}
			}
		}
		if !found {
			t.Fatalf("bob not listed: %s", body)
		}
	})
	t.Run("list printers with defaults", func(t *testing.T) {
		var ps []printerResponse
		r.call(t, "GET", "/api/v1/printers", tok, nil, 200, &ps)
		ports := map[string]printerResponse{}
		for _, p := range ps {
			ports[p.Name] = p
		}
		if ports["P1"].Port != 9100 || !ports["P1"].Enabled || ports["P3"].Port != 515 || ports["P3"].Enabled || ports["P3"].Queue != "secure" {
			t.Fatalf("printers %+v", ps)
		}
	})
	t.Run("list readers", func(t *testing.T) {
		var rs []readerResponse
		r.call(t, "GET", "/api/v1/readers", tok, nil, 200, &rs)
		if len(rs) != 1 || rs[0].PrinterID != printer.ID || rs[0].Model != "rfideas-241" {
			t.Fatalf("readers %+v", rs)
		}
	})
	t.Run("activation code format", func(t *testing.T) {
		var ac activationCodeResponse
		r.call(t, "POST", "/api/v1/activation-codes", tok, map[string]int{"ttl_hours": 3}, 201, &ac)
		if !regexp.MustCompile(`^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`).MatchString(ac.Code) {
			t.Fatalf("code %q", ac.Code)
		}
		if d := time.Until(ac.Expires); d < 2*time.Hour || d > 3*time.Hour {
			t.Fatalf("expires in %v, want 3h", d)
		}
	})
	t.Run("jobs of unknown user", func(t *testing.T) {
		status, body := r.do(t, "GET", "/api/v1/jobs?user=nobody@acme.example", tok, nil)
		if status != 200 || strings.TrimSpace(string(body)) != "[]" {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("agents empty", func(t *testing.T) {
		status, body := r.do(t, "GET", "/api/v1/agents", tok, nil)
		if status != 200 || strings.TrimSpace(string(body)) != "[]" {
			t.Fatalf("%d %s", status, body)
		}
	})
}

func TestAPIAuthentication(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/company"}, {"PATCH", "/api/v1/company"},
		{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"},
		{"GET", "/api/v1/printers"}, {"POST", "/api/v1/printers"},
		{"GET", "/api/v1/readers"}, {"POST", "/api/v1/readers"},
		{"GET", "/api/v1/jobs"}, {"POST", "/api/v1/activation-codes"}, {"GET", "/api/v1/agents"},
	}
	tokens := []struct{ name, token string }{
		{"none", ""},
		{"unknown", newAPIToken()},
		{"without prefix", strings.TrimPrefix(acme.token, tokenPrefix)},
		{"agent secret shape", newAgentSecret()},
	}
	for _, rt := range routes {
		for _, tk := range tokens {
			t.Run(rt.method+" "+rt.path+" "+tk.name, func(t *testing.T) {
				if status, body := r.do(t, rt.method, rt.path, tk.token, map[string]any{}); status != http.StatusUnauthorized {
					t.Fatalf("%d %s, want 401", status, body)
				}
			})
		}
	}
	t.Run("basic auth scheme", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", r.srv.URL()+"/api/v1/users", nil)
		req.SetBasicAuth("admin", acme.token)
		resp, err := r.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
}

func TestRegister(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	globex := initTenant(t, dir, "GLOBEX")
	r := startRelay(t, dir)
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "user@acme.example", "name": "U", "password": "user-password"}, 201, nil)

	code := newCode(t, r, acme)
	globexCode := newCode(t, r, globex)
	req := func(mod func(*registerRequest)) registerRequest {
		rr := registerRequest{Company: "ACME", ActivationCode: code, Email: acme.adminEmail, Password: acme.adminPassword,
			MachineHash: machineHash("pc"), Name: "PC", Version: "0.1.0"}
		mod(&rr)
		return rr
	}
	tests := []struct {
		name string
		req  registerRequest
		want int
	}{
		{"wrong code", req(func(r *registerRequest) { r.ActivationCode = "AAAA-BBBB-CCCC" }), 401},
		{"other company's code", req(func(r *registerRequest) { r.ActivationCode = globexCode }), 401},
		{"wrong password", req(func(r *registerRequest) { r.Password = "wrong-password" }), 401},
		{"unknown email", req(func(r *registerRequest) { r.Email = "nobody@acme.example" }), 401},
		{"not an admin", req(func(r *registerRequest) { r.Email, r.Password = "user@acme.example", "user-password" }), 401},
		{"unknown company", req(func(r *registerRequest) { r.Company = "NOPE" }), 401},
		{"other company's admin", req(func(r *registerRequest) { r.Email, r.Password = globex.adminEmail, globex.adminPassword }), 401},
		{"bad machine hash", req(func(r *registerRequest) { r.MachineHash = "abc" }), 400},
		{"no name", req(func(r *registerRequest) { r.Name = "" }), 400},
		// Codes are typed by people: case and dashes do not matter.
		{"good", req(func(r *registerRequest) { r.ActivationCode = strings.ToLower(strings.ReplaceAll(code, "-", "")) }), 201},
		{"reused code", req(func(*registerRequest) {}), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := r.do(t, "POST", "/api/v1/agents/register", "", tc.req)
			if status != tc.want {
				t.Fatalf("%d %s, want %d", status, body, tc.want)
			}
			if status != 201 {
				return
			}
			var resp registerResponse
			if err := json.Unmarshal(body, &resp); err != nil || len(resp.AgentID) != 32 || len(resp.Secret) != 43 {
				t.Fatalf("answer %s", body)
			}
		})
	}
	t.Run("credentials are not logged", func(t *testing.T) {
		logs := r.logs.String()
		for _, secret := range []string{acme.adminPassword, "wrong-password", "user-password", acme.token, code} {
			if strings.Contains(logs, secret) {
				t.Fatalf("logs hold a credential %q", secret)
			}
		}
	})
	t.Run("rate limited per address", func(t *testing.T) {
		limited := false
		for range registerPerIPBurst + 1 {
			if status, _ := r.do(t, "POST", "/api/v1/agents/register", "", "{}"); status == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("no 429 after a burst of registrations")
		}
	})
}
