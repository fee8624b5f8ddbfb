package demo

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/eipauth/paneltest"
)

// TestPanelLogin drives the demo's agent as an MFP panel would (the
// paneltest simulator, written from eipauth/README.md): badge login with
// auto-release printing at the printer's listener, SSO, username/password
// login, unlock-code login through the relay portal, and a forced logout.
func TestPanelLogin(t *testing.T) {
	ipptool := lookIPPTool(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	o := testOptions(t)
	d, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); d.Wait() }()
	info := d.Info
	if !strings.HasPrefix(info.ConvenienceAuthURL, "https://127.0.0.1:") || !strings.HasPrefix(info.SSOURL, "https://127.0.0.1:") {
		t.Fatalf("demo.json URLs: %q %q", info.ConvenienceAuthURL, info.SSOURL)
	}
	var onDisk map[string]any
	if data, err := os.ReadFile(filepath.Join(o.Dir, "demo.json")); err != nil || json.Unmarshal(data, &onDisk) != nil {
		t.Fatalf("demo.json: %v", err)
	}
	if onDisk["convenience_auth_url"] != info.ConvenienceAuthURL || onDisk["sso_url"] != info.SSOURL {
		t.Fatalf("demo.json lists %v and %v", onDisk["convenience_auth_url"], onDisk["sso_url"])
	}
	waitFor(t, ctx, "agent connected to the relay", func() bool { return d.AgentStatus().RelayConnected })
	api := testAPI{t: t, info: info}
	patchCompany(t, ctx, info, `{"auto_release": true}`)
	waitFor(t, ctx, "auto-release setting at the agent", d.agent.AutoReleaseOn)

	// The client pins the agent's generated certificate.
	agentClient := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(agentFingerprint(t, o.Dir))}}
	panel := &paneltest.Panel{URL: info.ConvenienceAuthURL, Client: agentClient, SOAP12: true}

	if out, err := exec.CommandContext(ctx, ipptool, "-t", "-f", info.SamplePDF,
		info.UserURI(info.IPPURI), "print-job.test").CombinedOutput(); err != nil {
		t.Fatalf("ipptool: %v\n%s", err, out)
	}
	waitFor(t, ctx, "job held at the relay", func() bool { return len(api.jobs(ctx, "held")) == 1 })

	t.Run("badge login auto-releases at the printer", func(t *testing.T) {
		if a, err := panel.Init(ctx); err != nil || len(a.Fields["UnlockCode"]) != 4 {
			t.Fatalf("init: %v %+v", err, a)
		}
		a, err := panel.Badge(ctx, info.User.Card)
		if err != nil || a.Fields["Result"] != "Accept" || a.Fields["DisplayName"] != "Alice Example" {
			t.Fatalf("badge: %v %+v", err, a)
		}
		path, err := d.Printer().Wait(ctx)
		if err != nil {
			t.Fatal("auto-release printed nothing:", err)
		}
		got, _ := os.ReadFile(path)
		want, _ := os.ReadFile(info.SamplePDF)
		if !bytes.Contains(got, want) {
			t.Fatalf("printer got %d bytes without the document", len(got))
		}
		waitFor(t, ctx, "job printed at the relay", func() bool { return len(api.jobs(ctx, "printed")) == 1 })
	})

	t.Run("sso token of the logged-in user", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx, "POST", info.SSOURL+"/sso/v1/session", nil)
		resp, err := agentClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Token string
			User  struct{ Email string }
		}
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if resp.StatusCode != 200 || s.User.Email != info.User.Email {
			t.Fatalf("sso session: %d %+v", resp.StatusCode, s)
		}
		req, _ = http.NewRequestWithContext(ctx, "GET", info.SSOURL+"/sso/v1/jobs", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err = agentClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("sso jobs: %d", resp.StatusCode)
		}
		if a, _ := panel.Close(ctx); a.Fields["Result"] != "Closed" {
			t.Fatalf("close: %+v", a)
		}
		resp, err = agentClient.Do(req.Clone(ctx))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token after CloseSession: %d", resp.StatusCode)
		}
	})

	t.Run("username and password", func(t *testing.T) {
		panel.Init(ctx)
		if a, _ := panel.Login(ctx, info.User.Email, "wrong"); a.Fields["Result"] != "Deny" {
			t.Fatalf("wrong password: %+v", a)
		}
		if a, _ := panel.Login(ctx, info.User.Email, info.User.Password); a.Fields["Result"] != "Accept" {
			t.Fatalf("password: %+v", a)
		}
	})

	t.Run("unlock code through the portal", func(t *testing.T) {
		init, _ := panel.Init(ctx)
		code := init.Fields["UnlockCode"]
		if a, _ := panel.Poll(ctx); a.Fields["Result"] != "Pending" {
			t.Fatalf("poll: %+v", a)
		}
		portal := portalLogin(t, ctx, info)
		if st := portal.unlock(ctx, info.PrinterID, "AAAA"); st != http.StatusForbidden {
			t.Fatalf("wrong code: %d", st)
		}
		if st := portal.unlock(ctx, info.PrinterID, code); st != http.StatusOK {
			t.Fatalf("right code: %d", st)
		}
		a, _ := panel.Poll(ctx)
		if a.Fields["Result"] != "Accept" || a.Fields["UserName"] != info.User.Email {
			t.Fatalf("poll after unlock: %+v", a)
		}
		if st := portal.unlock(ctx, info.PrinterID, code); st != http.StatusForbidden && st != http.StatusConflict {
			t.Fatalf("used code again: %d", st)
		}
	})

	t.Run("sso lists, releases and deletes", func(t *testing.T) {
		patchCompany(t, ctx, info, `{"auto_release": false}`)
		waitFor(t, ctx, "auto-release off at the agent", func() bool { return !d.agent.AutoReleaseOn() })
		for range 2 {
			if out, err := exec.CommandContext(ctx, ipptool, "-t", "-f", info.SamplePDF,
				info.UserURI(info.IPPURI), "print-job.test").CombinedOutput(); err != nil {
				t.Fatalf("ipptool: %v\n%s", err, out)
			}
		}
		waitFor(t, ctx, "two jobs held at the relay", func() bool { return len(api.jobs(ctx, "held")) == 2 })
		panel.Init(ctx)
		if a, _ := panel.Badge(ctx, info.User.Card); a.Fields["Result"] != "Accept" {
			t.Fatalf("badge: %+v", a)
		}
		app := ssoClient{t: t, base: info.SSOURL, client: agentClient}
		tok := app.token(ctx)
		var list struct{ Jobs []struct{ ID string } }
		if st := app.do(ctx, "GET", "/sso/v1/jobs", tok, &list); st != 200 || len(list.Jobs) != 2 {
			t.Fatalf("jobs: %d %+v", st, list)
		}
		if st := app.do(ctx, "POST", "/sso/v1/jobs/"+list.Jobs[0].ID+"/release", tok, nil); st != http.StatusNoContent {
			t.Fatalf("release: %d", st)
		}
		if _, err := d.Printer().Wait(ctx); err != nil {
			t.Fatal("the SSO release printed nothing:", err)
		}
		if st := app.do(ctx, "DELETE", "/sso/v1/jobs/"+list.Jobs[1].ID, tok, nil); st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		waitFor(t, ctx, "one more printed and one deleted at the relay", func() bool {
			return len(api.jobs(ctx, "printed")) == 2 && len(api.jobs(ctx, "deleted")) == 1 && len(api.jobs(ctx, "held")) == 0
		})
	})

	t.Run("forced logout", func(t *testing.T) {
		if err := d.agent.Panel().ForceLogout(info.PrinterID); err != nil {
			t.Fatal(err)
		}
		if a, _ := panel.Continue(ctx); a.Fields["Result"] != "Closed" {
			t.Fatalf("continue after forced logout: %+v", a)
		}
	})
}

func patchCompany(t *testing.T, ctx context.Context, info Info, body string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, info.RelayURL+"/api/v1/company", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+info.APIToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := pinnedClient(info.RelayFingerprint).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("patch company: %s", resp.Status)
	}
}

func agentFingerprint(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "agent", "tls", "agent.crt"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("agent.crt is not PEM")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return certs.Fingerprint(c)
}

type portalUser struct {
	t      *testing.T
	info   Info
	client *http.Client
	csrf   string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// portalLogin signs the demo user in to the relay's console as a browser.
func portalLogin(t *testing.T, ctx context.Context, info Info) *portalUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := pinnedClient(info.RelayFingerprint)
	c.Jar = jar
	page := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return b.String()
	}
	m := csrfField.FindStringSubmatch(page(c.Get(info.RelayURL + "/login")))
	if m == nil {
		t.Fatal("no csrf field on the login page")
	}
	home := page(c.PostForm(info.RelayURL+"/login", url.Values{
		"company": {info.Company}, "email": {info.User.Email}, "password": {info.User.Password}, "csrf": {m[1]},
	}))
	m = csrfField.FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("not signed in: %.300s", home)
	}
	return &portalUser{t: t, info: info, client: c, csrf: m[1]}
}

func (p *portalUser) unlock(ctx context.Context, printerID, code string) int {
	p.t.Helper()
	body, _ := json.Marshal(map[string]string{"printer_id": printerID, "code": code})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.info.RelayURL+"/portal/unlock", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", p.csrf)
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type ssoClient struct {
	t      *testing.T
	base   string
	client *http.Client
}

func (c ssoClient) do(ctx context.Context, method, path, token string, out any) int {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (c ssoClient) token(ctx context.Context) string {
	c.t.Helper()
	var s struct{ Token string }
	if st := c.do(ctx, "POST", "/sso/v1/session", "", &s); st != 200 || s.Token == "" {
		c.t.Fatalf("sso session: %d", st)
	}
	return s.Token
}
