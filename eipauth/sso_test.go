package eipauth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgeprint/edgeprint/eipauth"
)

// ssoApp is a panel app calling the SSO service from a printer.
type ssoApp struct {
	t       *testing.T
	base    string
	client  *http.Client
	printer string // X-Edgeprint-Printer; "" for the source address
}

func (a ssoApp) do(method, path, token string) (int, map[string]any) {
	a.t.Helper()
	req, _ := http.NewRequestWithContext(a.t.Context(), method, a.base+path, bytes.NewReader(nil))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if a.printer != "" {
		req.Header.Set(eipauth.PrinterHeader, a.printer)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (a ssoApp) token() string {
	a.t.Helper()
	st, out := a.do("POST", "/sso/v1/session", "")
	if st != 200 {
		a.t.Fatalf("session: %d %v", st, out)
	}
	return out["token"].(string)
}

func jobIDs(out map[string]any) []string {
	var ids []string
	for _, j := range out["jobs"].([]any) {
		ids = append(ids, j.(map[string]any)["id"].(string))
	}
	return ids
}

func TestSSO(t *testing.T) {
	b := newBackend()
	svc, events := newService(t, b)
	ctx := t.Context()
	conv, convClient := serveTLS(t, svc.ConvAuthHandler(""))
	sso, ssoClient := serveTLS(t, svc.SSOHandler())
	app := ssoApp{t: t, base: sso, client: ssoClient}

	if st, _ := app.do("POST", "/sso/v1/session", ""); st != http.StatusNotFound {
		t.Fatalf("session with nobody logged in: %d", st)
	}
	p := panel(conv+eipauth.DefaultPath, convClient, true)
	p.Init(ctx)
	p.Badge(ctx, "1001")
	tok := app.token()

	t.Run("lists its user's jobs only", func(t *testing.T) {
		st, out := app.do("GET", "/sso/v1/jobs", tok)
		if ids := jobIDs(out); st != 200 || len(ids) != 2 {
			t.Fatalf("%d %v", st, out)
		}
	})
	t.Run("cannot touch another user's job", func(t *testing.T) {
		if st, _ := app.do("POST", "/sso/v1/jobs/j-b1/release", tok); st != http.StatusNotFound {
			t.Fatalf("release bob's job: %d", st)
		}
		if st, _ := app.do("DELETE", "/sso/v1/jobs/j-b1", tok); st != http.StatusNotFound {
			t.Fatalf("delete bob's job: %d", st)
		}
	})
	t.Run("releases to its printer and deletes", func(t *testing.T) {
		if st, _ := app.do("POST", "/sso/v1/jobs/j-a1/release", tok); st != http.StatusNoContent {
			t.Fatalf("release: %d", st)
		}
		if st, _ := app.do("DELETE", "/sso/v1/jobs/j-a2", tok); st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.released) != 1 || b.released[0] != "j-a1@p1" {
			t.Fatalf("released %v", b.released)
		}
	})
	t.Run("not from another printer", func(t *testing.T) {
		other := app
		other.printer = p2.ID
		if st, _ := other.do("GET", "/sso/v1/jobs", tok); st != http.StatusForbidden {
			t.Fatalf("from p2: %d", st)
		}
	})
	t.Run("not forged", func(t *testing.T) {
		forged := []byte(tok)
		forged[3] ^= 1
		if st, _ := app.do("GET", "/sso/v1/jobs", string(forged)); st != http.StatusUnauthorized {
			t.Fatalf("forged: %d", st)
		}
		if st, _ := app.do("GET", "/sso/v1/jobs", ""); st != http.StatusUnauthorized {
			t.Fatalf("no token: %d", st)
		}
	})
	t.Run("not replayed after logout", func(t *testing.T) {
		if st, _ := app.do("POST", "/sso/v1/logout", tok); st != http.StatusNoContent {
			t.Fatalf("logout: %d", st)
		}
		if st, _ := app.do("GET", "/sso/v1/jobs", tok); st != http.StatusUnauthorized {
			t.Fatalf("after logout: %d", st)
		}
		if st, _ := app.do("POST", "/sso/v1/session", ""); st != http.StatusNotFound {
			t.Fatalf("session after logout: %d", st)
		}
	})
	t.Run("not replayed after CloseSession or a new user", func(t *testing.T) {
		p.Init(ctx)
		p.Badge(ctx, "1001")
		tok := app.token()
		p.Close(ctx)
		if st, _ := app.do("GET", "/sso/v1/jobs", tok); st != http.StatusUnauthorized {
			t.Fatalf("after CloseSession: %d", st)
		}
		p.Init(ctx)
		p.Badge(ctx, "1001")
		tok = app.token()
		p.Init(ctx)
		p.Badge(ctx, "2002")
		if st, _ := app.do("GET", "/sso/v1/jobs", tok); st != http.StatusUnauthorized {
			t.Fatalf("alice's token after bob logged in: %d", st)
		}
		bobs := app.token()
		if st, out := app.do("GET", "/sso/v1/jobs", bobs); st != 200 || len(jobIDs(out)) != 1 {
			t.Fatalf("bob: %d %v", st, out)
		}
	})
	n := 0
	for _, e := range *events {
		if e.Interface == "sso" {
			n++
		}
	}
	if n < 5 {
		t.Fatalf("audit has %d sso events", n)
	}
}

func TestSSOExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc, _ := newService(t, newBackend())
		ctx := t.Context()
		p := panel("https://agent/convauth", inProcess(svc.ConvAuthHandler(""), "127.0.0.1:5000"), false)
		app := ssoApp{t: t, base: "https://agent", client: inProcess(svc.SSOHandler(), "127.0.0.1:5001")}
		p.Init(ctx)
		p.Badge(ctx, "1001")
		tok := app.token()
		time.Sleep(eipauth.TokenTTL - time.Second)
		if st, _ := app.do("GET", "/sso/v1/jobs", tok); st != 200 {
			t.Fatalf("before expiry: %d", st)
		}
		time.Sleep(2 * time.Second)
		if st, _ := app.do("GET", "/sso/v1/jobs", tok); st != http.StatusUnauthorized {
			t.Fatalf("after expiry: %d", st)
		}
		// A fresh token works until the session idles out.
		tok = app.token()
		time.Sleep(eipauth.IdleTimeout + time.Second)
		if st, _ := app.do("POST", "/sso/v1/session", ""); st != http.StatusNotFound {
			t.Fatalf("session after idle timeout: %d", st)
		}
	})
}
