package agent

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/eipauth"
	"github.com/edgeprint/edgeprint/eipauth/paneltest"
)

// printerAgent is a panel agent whose printer p1 is a paneltest.Printer on
// 127.0.0.1 with admin credentials admin/pw, trusted through ca_file.
func printerAgent(t *testing.T, password string) (*Agent, *paneltest.Printer) {
	t.Helper()
	fake := &paneltest.Printer{Username: "admin", Password: "pw"}
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "printer-ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	n, _ := strconv.Atoi(port)

	sc := SiteConfig{Printers: []Printer{{ID: "p1", Name: "Lobby", Address: "127.0.0.1", Enabled: true}}}
	a := panelAgent(t, sc)
	a.cfg.Panel.PrinterAdmin = &PrinterAdminConfig{Username: "admin", Password: Secret(password), Port: n, CAFile: ca}
	var err error
	if a.panel.printer, err = newPrinterClient(a.cfg.Panel.PrinterAdmin); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.panelWorker(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return a, fake
}

// showScreen makes p1's panel start a session, as the printer would.
func showScreen(t *testing.T, a *Agent) {
	t.Helper()
	req := httptest.NewRequest("POST", eipauth.DefaultPath, strings.NewReader(`<Envelope><Body><InitAuthenticationSession/></Body></Envelope>`))
	req.RemoteAddr = "127.0.0.1:4000"
	rec := httptest.NewRecorder()
	a.panel.svc.ConvAuthHandler("").ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("init: %d", rec.Code)
	}
}

func TestUnlockPushesLoginToPrinter(t *testing.T) {
	a, fake := printerAgent(t, "pw")
	showScreen(t, a)
	body := `{"printer_id":"p1","code":"` + a.panel.svc.Codes().Current("p1") + `","user":{"id":"u1","email":"ann@acme.example","name":"Ann"}}`
	rec := httptest.NewRecorder()
	a.serveUnlock(rec, httptest.NewRequest("POST", "/relay/v1/unlock", strings.NewReader(body)))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("unlock: %d %s", rec.Code, rec.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.Calls()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no InitiateLogin at the printer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c := fake.Calls()[0]; c.Operation != "InitiateLogin" || c.Fields["UserName"] != "ann@acme.example" {
		t.Fatalf("printer got %+v", c)
	}
}

func TestForceLogoutFromRelay(t *testing.T) {
	tests := []struct {
		name, password, body string
		want                 int
		calls                int
	}{
		{"logout pushed to the printer", "pw", `{"printer_id":"p1"}`, http.StatusNoContent, 1},
		{"printer refuses the credentials", "wrong", `{"printer_id":"p1"}`, http.StatusBadGateway, 0},
		{"other agent's printer", "pw", `{"printer_id":"p9"}`, http.StatusNotFound, 0},
		{"no printer", "pw", `{}`, http.StatusBadRequest, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, fake := printerAgent(t, tc.password)
			showScreen(t, a)
			rec := httptest.NewRecorder()
			a.serveForceLogout(rec, httptest.NewRequest("POST", "/relay/v1/panel/logout", strings.NewReader(tc.body)))
			if rec.Code != tc.want {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if n := len(fake.Calls()); n != tc.calls {
				t.Fatalf("printer got %d calls, want %d", n, tc.calls)
			}
			if tc.want == http.StatusNoContent {
				if st, _ := a.panel.svc.SessionState("p1"); st != eipauth.StateIdle {
					t.Fatalf("session %s after forced logout", st)
				}
			}
		})
	}
}

func TestPanelAppRegistration(t *testing.T) {
	a, fake := printerAgent(t, "pw")
	a.cfg.DataDir = t.TempDir()
	a.cfg.Site = "HQ"
	ctx := t.Context()
	a.cfg.Panel.AppURL = "https://agent.acme.example:15043/app/v1"
	a.reconcileRegistrations(ctx)
	a.reconcileRegistrations(ctx) // unchanged: no call
	first := fake.Registrations()
	if len(first) != 1 || len(fake.Calls()) != 1 {
		t.Fatalf("registrations %v after %d calls", first, len(fake.Calls()))
	}
	a.cfg.Panel.AppURL = "https://agent.acme.example:15043/app/v2"
	a.reconcileRegistrations(ctx)
	second := fake.Registrations()
	if len(second) != 1 || second[a.panelApp().Checksum()] != "HQ Secure Print" {
		t.Fatalf("registrations after the app changed: %v", second)
	}
	sc, _ := a.store.SiteConfig()
	sc.Printers[0].Enabled = false
	a.store.SaveSiteConfig(sc)
	a.reconcileRegistrations(ctx)
	if regs := fake.Registrations(); len(regs) != 0 {
		t.Fatalf("registrations on a disabled printer: %v", regs)
	}
	if regs, _ := a.loadRegistrations(); len(regs) != 0 {
		t.Fatalf("remembered %v", regs)
	}
}
