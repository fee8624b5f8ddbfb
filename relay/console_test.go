package relay

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// console is a browser session against the relay's console.
type console struct {
	r      *testRelay
	client *http.Client
}

func newConsole(t *testing.T, r *testRelay) *console {
	return &console{r: r, client: pinnedClient(r.srv.Fingerprint())}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *console) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, body := c.send(t, "GET", path, nil)
	return resp.StatusCode, body
}

func (c *console) send(t *testing.T, method, path string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.r.srv.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// csrf returns the CSRF token of the form on path.
func (c *console) csrf(t *testing.T, path string) string {
	t.Helper()
	_, body := c.get(t, path)
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on %s: %s", path, body)
	}
	return string(m[1])
}

func (c *console) login(t *testing.T, company, email, password string) int {
	t.Helper()
	resp, _ := c.send(t, "POST", "/login", url.Values{"csrf": {c.csrf(t, "/login")}, "company": {company}, "email": {email}, "password": {password}})
	return resp.StatusCode
}

func TestConsole(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	var ann, bob struct{ ID string }
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "ann@acme.example", "name": "Ann", "password": "ann-password"}, 201, &ann)
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "bob@acme.example", "name": "Bob", "password": "bob-password"}, 201, &bob)
	r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{"name": "Lobby <MFP>", "address": "10.0.0.5", "protocol": "raw9100"}, 201, nil)
	ag := connectAgent(t, r, registerTestAgent(t, r, acme, "HQ-PC"))
	ag.upload(t, newJobID(), ann.ID, "ann-report.pdf", strings.NewReader("ann"))
	ag.upload(t, newJobID(), bob.ID, "bob-payslip.pdf", strings.NewReader("bob"))

	t.Run("signed out goes to login", func(t *testing.T) {
		resp, _ := newConsole(t, r).send(t, "GET", "/", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("%d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("bad logins", func(t *testing.T) {
		tests := []struct{ name, company, email, password string }{
			{"wrong password", "ACME", "ann@acme.example", "wrong-password"},
			{"unknown email", "ACME", "nobody@acme.example", "ann-password"},
			{"unknown company", "NOPE", "ann@acme.example", "ann-password"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if status := newConsole(t, r).login(t, tc.company, tc.email, tc.password); status != http.StatusUnauthorized {
					t.Fatalf("%d, want 401", status)
				}
			})
		}
	})
	t.Run("login without CSRF token", func(t *testing.T) {
		c := newConsole(t, r)
		c.csrf(t, "/login") // the cookie, but not the form field
		resp, _ := c.send(t, "POST", "/login", url.Values{"company": {"ACME"}, "email": {"ann@acme.example"}, "password": {"ann-password"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%d, want 403", resp.StatusCode)
		}
	})
	t.Run("user sees own jobs", func(t *testing.T) {
		c := newConsole(t, r)
		if status := c.login(t, "acme", "Ann@acme.example", "ann-password"); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		status, body := c.get(t, "/")
		page := string(body)
		if status != 200 || !strings.Contains(page, "ann-report.pdf") || strings.Contains(page, "bob-payslip.pdf") {
			t.Fatalf("%d %s", status, page)
		}
		if !strings.Contains(page, "Lobby &lt;MFP&gt;") || !strings.Contains(page, "HQ-PC") {
			t.Fatalf("home lacks the printer (escaped) or the agent: %s", page)
		}
	})
	t.Run("admin sees all jobs, signs out", func(t *testing.T) {
		c := newConsole(t, r)
		if status := c.login(t, "ACME", acme.adminEmail, acme.adminPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		status, body := c.get(t, "/")
		if status != 200 || !strings.Contains(string(body), "ann-report.pdf") || !strings.Contains(string(body), "bob-payslip.pdf") {
			t.Fatalf("%d %s", status, body)
		}
		if resp, _ := c.send(t, "POST", "/logout", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("logout with a forged token: %d", resp.StatusCode)
		}
		if resp, _ := c.send(t, "POST", "/logout", url.Values{"csrf": {c.csrf(t, "/")}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		if resp, _ := c.send(t, "GET", "/", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("home after logout: %d", resp.StatusCode)
		}
	})
	t.Run("cookies", func(t *testing.T) {
		c := newConsole(t, r)
		resp, _ := c.send(t, "POST", "/login", url.Values{"csrf": {c.csrf(t, "/login")}, "company": {"ACME"}, "email": {"ann@acme.example"}, "password": {"ann-password"}})
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
			t.Fatalf("session cookie %+v", session)
		}
	})
	t.Run("idle session expires", func(t *testing.T) {
		c := newConsole(t, r)
		c.login(t, "ACME", "ann@acme.example", "ann-password")
		r.srv.sessions.age(sessionIdle + time.Second)
		defer r.srv.sessions.age(-sessionIdle - time.Second)
		if resp, _ := c.send(t, "GET", "/", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("home after 20 idle minutes: %d", resp.StatusCode)
		}
	})
	t.Run("security headers", func(t *testing.T) {
		c := newConsole(t, r)
		for _, path := range []string{"/login", "/", "/console.css", "/api/v1/users", "/nope"} {
			resp, _ := c.send(t, "GET", path, nil)
			want := map[string]string{
				"Content-Security-Policy":   "default-src 'self'",
				"Strict-Transport-Security": "max-age=",
				"X-Frame-Options":           "DENY",
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "no-referrer",
			}
			for h, v := range want {
				if !strings.Contains(resp.Header.Get(h), v) {
					t.Errorf("%s: %s is %q", path, h, resp.Header.Get(h))
				}
			}
		}
	})
	t.Run("login rate limit", func(t *testing.T) {
		c := newConsole(t, r)
		for i := range loginBurst + 1 {
			status := c.login(t, "ACME", "limited@acme.example", "wrong-password")
			if status == http.StatusTooManyRequests {
				if i < loginBurst {
					t.Fatalf("limited after %d attempts", i)
				}
				return
			}
		}
		t.Fatal("no 429 after a burst of logins")
	})
}
