package relay

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// world is one company's data, made through the API and an agent.
type world struct {
	tenant
	user, sharedUser, printer, reader, job string
	agent                                  *testAgent
}

func makeWorld(t *testing.T, r *testRelay, ten tenant, card string) world {
	t.Helper()
	w := world{tenant: ten}
	var id struct{ ID string }
	r.call(t, "POST", "/api/v1/users", ten.token, map[string]any{
		"email": "user@" + strings.ToLower(ten.code) + ".example", "name": "User " + ten.code, "password": "user-password", "cards": []string{card},
	}, 201, &id)
	w.user = id.ID
	// The same email in both companies: two different people.
	r.call(t, "POST", "/api/v1/users", ten.token, map[string]any{"email": "shared@example.com", "name": "Shared " + ten.code, "password": "shared-" + ten.code}, 201, &id)
	w.sharedUser = id.ID
	r.call(t, "POST", "/api/v1/printers", ten.token, map[string]any{"name": "Printer " + ten.code, "address": "10.0.0.1", "protocol": "raw9100"}, 201, &id)
	w.printer = id.ID
	r.call(t, "POST", "/api/v1/readers", ten.token, map[string]any{"model": "elatec-tcpconv", "address": "10.0.0.2", "printer_id": w.printer}, 201, &id)
	w.reader = id.ID
	w.agent = connectAgent(t, r, registerTestAgent(t, r, ten, "pc-"+ten.code))
	w.job = newJobID()
	if st := w.agent.upload(t, w.job, w.sharedUser, "job of "+ten.code, strings.NewReader("document of "+ten.code)); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	return w
}

// TestTenantIsolation proves, route by route, that company A's token and
// agent reach nothing of company B.
func TestTenantIsolation(t *testing.T) {
	dir := t.TempDir()
	tenA := initTenant(t, dir, "ACME")
	tenB := initTenant(t, dir, "GLOBEX")
	r := startRelay(t, dir)
	a := makeWorld(t, r, tenA, "AAAA")
	b := makeWorld(t, r, tenB, "AAAA") // the same card number in B: another badge

	// mustNotShow fails if the answer to A's request mentions anything of B.
	mustNotShow := func(t *testing.T, body []byte) {
		t.Helper()
		for _, id := range []string{b.id, b.user, b.sharedUser, b.printer, b.reader, b.agent.id, "GLOBEX", "user@globex.example", "Shared GLOBEX"} {
			if bytes.Contains(body, []byte(id)) {
				t.Fatalf("answer shows B's %q: %s", id, body)
			}
		}
	}
	api := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"get company", "GET", "/api/v1/company", nil, 200},
		{"list users", "GET", "/api/v1/users", nil, 200},
		{"list printers", "GET", "/api/v1/printers", nil, 200},
		{"list readers", "GET", "/api/v1/readers", nil, 200},
		{"list agents", "GET", "/api/v1/agents", nil, 200},
		{"list jobs", "GET", "/api/v1/jobs", nil, 200},
		{"list jobs of shared email", "GET", "/api/v1/jobs?user=shared@example.com", nil, 200},
		{"list jobs of B's user", "GET", "/api/v1/jobs?user=user@globex.example", nil, 200},
		{"reader on B's printer", "POST", "/api/v1/readers", map[string]any{"model": "elatec-tcpconv", "address": "10.0.0.3", "printer_id": b.printer}, 400},
		{"user with B's email and card", "POST", "/api/v1/users", map[string]any{"email": "user@globex.example", "name": "Not B's", "cards": []string{"BBBB"}}, 201},
		{"activation code", "POST", "/api/v1/activation-codes", nil, 201},
		{"patch company", "PATCH", "/api/v1/company", map[string]string{"name": "Acme Renamed", "retention": "1d"}, 200},
		{"printer", "POST", "/api/v1/printers", map[string]any{"name": "Another", "address": "10.0.0.4", "protocol": "raw9100"}, 201},
	}
	for _, tc := range api {
		t.Run("api "+tc.name, func(t *testing.T) {
			status, body := r.do(t, tc.method, tc.path, a.token, tc.body)
			if status != tc.want {
				t.Fatalf("%d %s, want %d", status, body, tc.want)
			}
			mustNotShow(t, body)
		})
	}
	t.Run("B is unchanged", func(t *testing.T) {
		var c companyResponse
		r.call(t, "GET", "/api/v1/company", b.token, nil, 200, &c)
		if c.Name != "GLOBEX Ltd" || c.Retention != "immediate" {
			t.Fatalf("B's company is now %+v", c)
		}
		var users []userResponse
		r.call(t, "GET", "/api/v1/users", b.token, nil, 200, &users)
		if len(users) != 3 {
			t.Fatalf("B has %d users, want 3", len(users))
		}
		var printers []printerResponse
		r.call(t, "GET", "/api/v1/printers", b.token, nil, 200, &printers)
		if len(printers) != 1 {
			t.Fatalf("B has %d printers, want 1", len(printers))
		}
	})
	t.Run("A's code does not register in B", func(t *testing.T) {
		status, _ := r.do(t, "POST", "/api/v1/agents/register", "", registerRequest{
			Company: "GLOBEX", ActivationCode: newCode(t, r, tenA), Email: tenB.adminEmail, Password: tenB.adminPassword,
			MachineHash: machineHash("x"), Name: "x",
		})
		if status != http.StatusUnauthorized {
			t.Fatalf("%d, want 401", status)
		}
	})

	agent := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"auth as B's user", "POST", "/agent/v1/auth", map[string]string{"username": "user@globex.example", "password": "user-password"}, 401},
		{"auth as shared email with B's password", "POST", "/agent/v1/auth", map[string]string{"username": "shared@example.com", "password": "shared-GLOBEX"}, 401},
		{"auth as shared email with A's password", "POST", "/agent/v1/auth", map[string]string{"username": "shared@example.com", "password": "shared-ACME"}, 200},
		{"card of both companies", "POST", "/agent/v1/cards/lookup", map[string]string{"card": "AAAA"}, 200},
		{"config", "GET", "/agent/v1/config", nil, 200},
		{"list jobs", "GET", "/agent/v1/jobs", nil, 200},
		{"list jobs of B's user", "GET", "/agent/v1/jobs?user=" + b.sharedUser, nil, 200},
		{"B's document", "GET", "/agent/v1/jobs/" + b.job + "/document", nil, 404},
		{"B's job state", "POST", "/agent/v1/jobs/" + b.job + "/state", map[string]string{"state": "printed"}, 404},
		{"state with B's printer", "POST", "/agent/v1/jobs/" + a.job + "/state", map[string]string{"state": "failed", "printer_id": b.printer}, 204},
		{"job after state with B's printer", "GET", "/agent/v1/jobs", nil, 200},
	}
	for _, tc := range agent {
		t.Run("agent "+tc.name, func(t *testing.T) {
			var raw []byte
			a.agent.call(t, tc.method, tc.path, tc.body, tc.want, &rawJSON{&raw})
			mustNotShow(t, raw)
		})
	}
	t.Run("agent upload for B's user", func(t *testing.T) {
		if st := a.agent.upload(t, newJobID(), b.user, "x", strings.NewReader("x")); st != http.StatusBadRequest {
			t.Fatalf("%d, want 400", st)
		}
	})
	t.Run("agent upload with B's job id", func(t *testing.T) {
		if st := a.agent.upload(t, b.job, a.user, "same id", strings.NewReader("A's own")); st != http.StatusCreated {
			t.Fatalf("%d, want 201: a separate job", st)
		}
		resp := b.agent.do(t, "GET", "/agent/v1/jobs/"+b.job+"/document", nil, nil)
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		if buf.String() != "document of GLOBEX" {
			t.Fatalf("B's document is now %q", buf.String())
		}
	})
	t.Run("config push reaches only the company's agents", func(t *testing.T) {
		r.call(t, "POST", "/api/v1/printers", b.token, map[string]any{"name": "B2", "address": "10.9.9.9", "protocol": "raw9100"}, 201, nil)
		r.call(t, "POST", "/api/v1/printers", a.token, map[string]any{"name": "A-last", "address": "10.0.0.9", "protocol": "raw9100"}, 201, nil)
		a.agent.waitConfig(t, func(c agentConfig) bool {
			if c.Company.Code != "ACME" || slices.ContainsFunc(c.Printers, func(p printerResponse) bool { return p.Name == "B2" || p.ID == b.printer }) {
				t.Fatalf("A's agent got %+v", c)
			}
			return slices.ContainsFunc(c.Printers, func(p printerResponse) bool { return p.Name == "A-last" })
		})
	})
	t.Run("console", func(t *testing.T) {
		c := newConsole(t, r)
		if status := c.login(t, "ACME", "user@globex.example", "user-password"); status != http.StatusUnauthorized {
			t.Fatalf("B's user signed in to A: %d", status)
		}
		if status := c.login(t, "ACME", "shared@example.com", "shared-ACME"); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		status, body := c.get(t, "/")
		if status != 200 {
			t.Fatalf("home: %d", status)
		}
		mustNotShow(t, body)
		if !bytes.Contains(body, []byte("job of ACME")) || bytes.Contains(body, []byte("job of GLOBEX")) {
			t.Fatalf("home shows the wrong jobs: %s", body)
		}
	})
}

// rawJSON keeps the raw answer for inspection when passed as call's out.
type rawJSON struct{ p *[]byte }

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r.p = append([]byte(nil), b...)
	return nil
}
