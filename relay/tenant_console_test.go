package relay

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/relay/store"
)

// tenantCovered lists every route pattern whose tenant isolation a test
// proves: TestTenantIsolation (tenant_test.go) or TestTenantIsolationConsole
// below. TestEveryRouteIsTenantTested fails when a route is added without
// joining one of them.
var tenantCovered = map[string]string{
	"GET /api/v1/company":           "TestTenantIsolation",
	"PATCH /api/v1/company":         "TestTenantIsolation",
	"POST /api/v1/users":            "TestTenantIsolation",
	"GET /api/v1/users":             "TestTenantIsolation",
	"POST /api/v1/printers":         "TestTenantIsolation",
	"GET /api/v1/printers":          "TestTenantIsolation",
	"POST /api/v1/readers":          "TestTenantIsolation",
	"GET /api/v1/readers":           "TestTenantIsolation",
	"GET /api/v1/jobs":              "TestTenantIsolation",
	"POST /api/v1/activation-codes": "TestTenantIsolation",
	"GET /api/v1/agents":            "TestTenantIsolation",
	"POST /api/v1/agents/register":  "TestTenantIsolation",
	"GET /api/v1/agents/tunnel":     "TestTenantIsolation (agent routes)",
	"/api/":                         "no data: 404 for every unknown route",
	"GET /login":                    "no data before sign-in",
	"POST /login":                   "TestTenantIsolation (console)",
	"POST /logout":                  "ends only the caller's session",
	"GET /console.css":              "static",
	"GET /console.js":               "static",
	"GET /{$}":                      "TestTenantIsolation (console)",
	// Routes of the printers inventory, badge release, panel unlock and
	// updates work (issues 5, 6, 7, 10), once merged.
	"PATCH /api/v1/printers/{id}":       "TestPrinterInventory (another company's token: 404)",
	"POST /api/v1/agents/{id}/discover": "TestPrinterInventory (another company's token: 404)",
	"PATCH /api/v1/agents/{id}":         "TestReleasesForAgents (another company's token: 404)",
	"POST /portal/unlock":               "TestPortalUnlock (another company's printer)",
	"POST /api/v1/printers/{id}/logout": "TestTenantIsolationOtherRoutes",
	"POST /printers/{id}/enabled":       "TestTenantIsolationOtherRoutes",
	"GET /cards/claim":                  "TestTenantIsolationOtherRoutes",
	"POST /cards/claim":                 "TestTenantIsolationOtherRoutes",
	"POST /portal/v1/cards/claim":       "TestTenantIsolationOtherRoutes",
	"GET /api/v1/settings":              "console",
	"PATCH /api/v1/settings":            "console",
	"GET /api/v1/sites":                 "console",
	"POST /api/v1/sites":                "console",
	"PUT /api/v1/printers/{id}/site":    "console",
	"POST /api/v1/users/import":         "console",
	"PUT /api/v1/users/{id}/cards":      "console",
	"POST /admin/users/{id}/cards":      "console",
	"GET /api/v1/audit/events":          "console",
	"GET /api/v1/stats/jobs":            "console",
	"DELETE /api/v1/jobs/{id}":          "console",
	"POST /api/v1/jobs/{id}/release":    "console",
	"GET /admin":                        "console",
	"GET /admin/users":                  "console",
	"POST /admin/users":                 "console",
	"POST /admin/users/import":          "console",
	"GET /admin/printers":               "console",
	"POST /admin/printers/{id}":         "console",
	"POST /admin/sites":                 "console",
	"GET /admin/readers":                "console",
	"POST /admin/readers":               "console",
	"GET /admin/agents":                 "console",
	"POST /admin/activation-codes":      "console",
	"GET /admin/jobs":                   "console",
	"POST /admin/jobs/{id}/delete":      "console",
	"GET /admin/audit":                  "console",
	"GET /admin/settings":               "console",
	"POST /admin/settings":              "console",
	"GET /portal":                       "console",
	"POST /portal/jobs/{id}/delete":     "console",
	"POST /portal/jobs/{id}/release":    "console",
	"POST /portal/upload":               "console",
}

var routePattern = regexp.MustCompile(`mux\.Handle(?:Func)?\("([^"]+)"`)

// TestEveryRouteIsTenantTested reads the route tables and fails for a
// public route no tenant-isolation test covers.
func TestEveryRouteIsTenantTested(t *testing.T) {
	for _, file := range []string{"routes.go", "routes_console.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// The loopback admin listener serves no tenant data.
		if i := bytes.Index(src, []byte("func (s *Server) adminRoutes()")); i >= 0 {
			src = src[:i]
		}
		for _, m := range routePattern.FindAllSubmatch(src, -1) {
			if _, ok := tenantCovered[string(m[1])]; !ok {
				t.Errorf("%s: route %q is in no tenant-isolation test", file, m[1])
			}
		}
	}
}

// TestTenantIsolationConsole walks the admin console, the portal and
// their API as company A's admin, A's user and A's token against company
// B's ids, and gets nothing of B.
func TestTenantIsolationConsole(t *testing.T) {
	dir := t.TempDir()
	tenA := initTenant(t, dir, "ACME")
	tenB := initTenant(t, dir, "GLOBEX")
	r := startRelay(t, dir)
	a := makeWorld(t, r, tenA, "AAAA")
	b := makeWorld(t, r, tenB, "AAAA")
	var site struct{ ID string }
	r.call(t, "POST", "/api/v1/sites", b.token, map[string]string{"name": "Globex tower"}, 201, &site)
	r.call(t, "PUT", "/api/v1/printers/"+b.printer+"/site", b.token, map[string]string{"site_id": site.ID}, 200, nil)
	bSecret := []string{b.id, b.user, b.sharedUser, b.printer, b.reader, b.agent.id, b.job, site.ID, "GLOBEX", "Globex tower", "user@globex.example", "Shared GLOBEX", "job of GLOBEX"}
	mustNotShow := func(t *testing.T, body []byte) {
		t.Helper()
		for _, s := range bSecret {
			if bytes.Contains(body, []byte(s)) {
				t.Fatalf("answer shows B's %q: %s", s, body)
			}
		}
	}

	api := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"settings", "GET", "/api/v1/settings", nil, 200},
		{"patch settings", "PATCH", "/api/v1/settings", map[string]any{"retention": "7d", "auto_release": true}, 200},
		{"sites", "GET", "/api/v1/sites", nil, 200},
		{"site with B's name", "POST", "/api/v1/sites", map[string]string{"name": "Globex Tower"}, 201},
		{"B's printer to no site", "PUT", "/api/v1/printers/" + b.printer + "/site", map[string]string{"site_id": ""}, 404},
		{"A's printer to B's site", "PUT", "/api/v1/printers/" + a.printer + "/site", map[string]string{"site_id": site.ID}, 400},
		{"import users", "POST", "/api/v1/users/import", "imported@acme.example,Imported,AAAB\n", 200},
		{"audit", "GET", "/api/v1/audit/events", nil, 200},
		{"audit of B's user", "GET", "/api/v1/audit/events?user=" + b.sharedUser, nil, 200},
		{"stats", "GET", "/api/v1/stats/jobs", nil, 200},
		{"cards of B's user", "PUT", "/api/v1/users/" + b.user + "/cards", map[string]any{"cards": []string{"FFFF"}}, 404},
		{"delete B's job", "DELETE", "/api/v1/jobs/" + b.job, nil, 404},
		{"release B's job", "POST", "/api/v1/jobs/" + b.job + "/release", map[string]string{"printer_id": b.printer}, 404},
		{"release to B's printer", "POST", "/api/v1/jobs/" + a.job + "/release", map[string]string{"printer_id": b.printer}, 400},
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
	var evs []store.AuditEvent
	r.call(t, "GET", "/api/v1/audit/events?user="+b.sharedUser, a.token, nil, 200, &evs)
	if len(evs) != 0 {
		t.Fatalf("A's audit has B's user: %+v", evs)
	}

	admin := newConsole(t, r)
	if st := admin.login(t, "ACME", tenA.adminEmail, tenA.adminPassword); st != http.StatusSeeOther {
		t.Fatalf("admin login: %d", st)
	}
	pages := []string{"/admin", "/admin/users", "/admin/printers", "/admin/readers", "/admin/agents", "/admin/jobs", "/admin/jobs?state=held",
		"/admin/audit", "/admin/audit?user=" + b.sharedUser, "/admin/settings", "/portal"}
	for _, p := range pages {
		t.Run("admin page "+p, func(t *testing.T) {
			st, body := admin.get(t, p)
			if st != 200 {
				t.Fatalf("%d %s", st, body)
			}
			mustNotShow(t, body)
		})
	}
	forms := []struct {
		name, page, path string
		form             url.Values
		want             int
	}{
		{"enable B's printer", "/admin/printers", "/admin/printers/" + b.printer, url.Values{"name": {"Mine now"}, "enabled": {"on"}}, 404},
		{"A's printer to B's site", "/admin/printers", "/admin/printers/" + a.printer, url.Values{"enabled": {"on"}, "site_id": {site.ID}}, 400},
		{"reader on B's printer", "/admin/readers", "/admin/readers", url.Values{"model": {store.ReaderElatecTCPConv}, "address": {"10.0.0.77"}, "printer_id": {b.printer}}, 400},
		{"add user", "/admin/users", "/admin/users", url.Values{"email": {"added@acme.example"}, "name": {"A's"}, "card1": {"AAAC"}}, 200},
		{"site", "/admin/printers", "/admin/sites", url.Values{"name": {"Globex Tower 2"}}, 200},
		{"settings", "/admin/settings", "/admin/settings", url.Values{"retention": {"1d"}, "auth_type": {"local"}}, 200},
		{"activation code", "/admin/agents", "/admin/activation-codes", nil, 200},
		{"cards of B's user", "/admin/users", "/admin/users/" + b.user + "/cards", url.Values{"card1": {"FFFE"}}, 404},
		{"delete B's job as admin", "/admin/jobs", "/admin/jobs/" + b.job + "/delete", nil, 404},
		{"delete B's job", "/portal", "/portal/jobs/" + b.job + "/delete", nil, 404},
		{"release B's job", "/portal", "/portal/jobs/" + b.job + "/release", url.Values{"printer_id": {b.printer}}, 404},
	}
	for _, tc := range forms {
		t.Run("admin form "+tc.name, func(t *testing.T) {
			st, body := admin.post(t, tc.page, tc.path, tc.form)
			if st != tc.want {
				t.Fatalf("%d %s, want %d", st, body, tc.want)
			}
			mustNotShow(t, []byte(body))
		})
	}

	user := newConsole(t, r)
	if st := user.login(t, "ACME", "shared@example.com", "shared-ACME"); st != http.StatusSeeOther {
		t.Fatalf("user login: %d", st)
	}
	for _, p := range pages[:len(pages)-1] {
		if st, body := user.get(t, p); st != 404 {
			t.Fatalf("user on %s: %d %s", p, st, body)
		}
	}
	t.Run("user portal", func(t *testing.T) {
		st, body := user.get(t, "/portal")
		if st != 200 || !bytes.Contains(body, []byte("job of ACME")) {
			t.Fatalf("%d %s", st, body)
		}
		mustNotShow(t, body)
		for _, tc := range []struct {
			path string
			form url.Values
			want int
		}{
			{"/portal/jobs/" + b.job + "/delete", nil, 404},
			{"/portal/jobs/" + b.job + "/release", url.Values{"printer_id": {b.printer}}, 404},
			{"/portal/jobs/" + a.job + "/release", url.Values{"printer_id": {b.printer}}, 400},
			{"/admin/users", url.Values{"email": {"x@acme.example"}, "name": {"X"}}, 404},
		} {
			if st, body := user.post(t, "/portal", tc.path, tc.form); st != tc.want {
				t.Fatalf("%s: %d %s, want %d", tc.path, st, body, tc.want)
			}
		}
		// A user sees only their own jobs: another user of A owns none of these.
		other := newConsole(t, r)
		if st := other.login(t, "ACME", "user@acme.example", "user-password"); st != http.StatusSeeOther {
			t.Fatalf("login: %d", st)
		}
		if _, body := other.get(t, "/portal"); bytes.Contains(body, []byte("job of ACME")) {
			t.Fatalf("another user's portal shows the job: %s", body)
		}
		if st, _ := other.post(t, "/portal", "/portal/jobs/"+a.job+"/delete", nil); st != 404 {
			t.Fatalf("deleting another user's job: %d", st)
		}
	})
	t.Run("B is unchanged", func(t *testing.T) {
		var set settings
		r.call(t, "GET", "/api/v1/settings", b.token, nil, 200, &set)
		if set.Retention != store.RetentionImmediate || set.AutoRelease {
			t.Fatalf("B's settings: %+v", set)
		}
		p, err := r.srv.store.Printer(t.Context(), b.id, b.printer)
		if err != nil || p.Name != "Printer GLOBEX" || p.SiteID != site.ID {
			t.Fatalf("B's printer: %+v %v", p, err)
		}
		j, err := r.srv.store.Job(t.Context(), b.id, b.job)
		if err != nil || j.State != store.JobHeld || !j.HasDocument() {
			t.Fatalf("B's job: %+v %v", j, err)
		}
		readers, _ := r.srv.store.Readers(t.Context(), b.id)
		sites, _ := r.srv.store.Sites(t.Context(), b.id)
		if len(readers) != 1 || len(sites) != 1 {
			t.Fatalf("B has %d readers, %d sites", len(readers), len(sites))
		}
		evs, _ := r.srv.store.Events(t.Context(), b.id, store.EventFilter{})
		for _, e := range evs {
			if strings.Contains(e.Actor, "acme") || e.UserID == a.user {
				t.Fatalf("B's audit has A's event: %+v", e)
			}
		}
	})
}
