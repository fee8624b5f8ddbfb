package relay

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// routeRegistered reports whether pattern is in this tree's route tables.
func routeRegistered(t *testing.T, pattern string) bool {
	t.Helper()
	for _, file := range []string{"routes.go", "routes_console.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(src, []byte(`"`+pattern+`"`)) {
			return true
		}
	}
	return false
}

// TestTenantIsolationOtherRoutes walks the routes the printers inventory,
// badge release and panel unlock work added (issues 5–7), as company A
// against company B's ids. A route this tree lacks is skipped.
func TestTenantIsolationOtherRoutes(t *testing.T) {
	dir := t.TempDir()
	tenA := initTenant(t, dir, "ACME")
	tenB := initTenant(t, dir, "GLOBEX")
	r := startRelay(t, dir)
	a := makeWorld(t, r, tenA, "AAAA")
	b := makeWorld(t, r, tenB, "AAAA")
	mustNotShow := func(t *testing.T, body []byte) {
		t.Helper()
		for _, s := range []string{b.id, b.user, b.sharedUser, b.printer, b.reader, b.agent.id, b.job, "GLOBEX", "user@globex.example"} {
			if bytes.Contains(body, []byte(s)) {
				t.Fatalf("answer shows B's %q: %s", s, body)
			}
		}
	}
	admin := newConsole(t, r)
	if st := admin.login(t, "ACME", tenA.adminEmail, tenA.adminPassword); st != http.StatusSeeOther {
		t.Fatalf("admin login: %d", st)
	}
	user := newConsole(t, r)
	if st := user.login(t, "ACME", "user@acme.example", "user-password"); st != http.StatusSeeOther {
		t.Fatalf("user login: %d", st)
	}
	for _, tc := range []struct {
		pattern string
		run     func(t *testing.T) (int, []byte)
		want    int
	}{
		{"POST /api/v1/printers/{id}/logout", func(t *testing.T) (int, []byte) {
			return r.do(t, "POST", "/api/v1/printers/"+b.printer+"/logout", a.token, nil)
		}, 404},
		{"POST /printers/{id}/enabled", func(t *testing.T) (int, []byte) {
			resp, body := admin.send(t, "POST", "/printers/"+b.printer+"/enabled", url.Values{"csrf": {admin.csrf(t, "/")}, "enabled": {"true"}})
			return resp.StatusCode, body
		}, 404},
		{"GET /cards/claim", func(t *testing.T) (int, []byte) { return user.get(t, "/cards/claim") }, 200},
		{"POST /cards/claim", func(t *testing.T) (int, []byte) {
			resp, body := user.send(t, "POST", "/cards/claim", url.Values{"csrf": {user.csrf(t, "/cards/claim")}, "reader_id": {b.reader}})
			return resp.StatusCode, body
		}, 404},
		{"POST /portal/v1/cards/claim", func(t *testing.T) (int, []byte) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", r.srv.URL()+"/portal/v1/cards/claim", strings.NewReader(`{"reader_id":"`+b.reader+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", user.csrf(t, "/cards/claim"))
			resp, err := user.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			return resp.StatusCode, buf.Bytes()
		}, 404},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			if !routeRegistered(t, tc.pattern) {
				t.Skip("route not in this tree")
			}
			st, body := tc.run(t)
			if st != tc.want {
				t.Fatalf("%d %s, want %d", st, body, tc.want)
			}
			mustNotShow(t, body)
		})
	}
}
