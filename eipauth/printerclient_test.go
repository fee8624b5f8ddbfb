package eipauth_test

import (
	"net/http"
	"testing"

	"github.com/edgeprint/edgeprint/eipauth"
	"github.com/edgeprint/edgeprint/eipauth/paneltest"
)

// TestForcedLogout: the agent ends the session and pushes ForceLogout to
// the printer with its admin credentials; the printer checks them.
func TestForcedLogout(t *testing.T) {
	svc, events := newService(t, newBackend())
	ctx := t.Context()
	conv, convClient := serveTLS(t, svc.ConvAuthHandler(""))
	sso, ssoClient := serveTLS(t, svc.SSOHandler())
	printer := &paneltest.Printer{Username: "admin", Password: "1111"}
	printerURL, printerClient := serveTLS(t, printer)

	p := panel(conv+eipauth.DefaultPath, convClient, false)
	p.Init(ctx)
	p.Badge(ctx, "1001")
	app := ssoApp{t: t, base: sso, client: ssoClient}
	tok := app.token()

	bad := &eipauth.PrinterClient{HTTP: printerClient, Username: "admin", Password: "wrong"}
	if err := bad.ForceLogout(ctx, printerURL); err == nil {
		t.Fatal("printer accepted wrong credentials")
	}
	if err := svc.ForceLogout(p1.ID); err != nil {
		t.Fatal(err)
	}
	for _, v := range []eipauth.Version{eipauth.SOAP11, eipauth.SOAP12} {
		pc := &eipauth.PrinterClient{HTTP: printerClient, Username: "admin", Password: "1111", Version: v}
		if err := pc.ForceLogout(ctx, printerURL); err != nil {
			t.Fatal(err)
		}
	}
	calls := printer.Calls()
	if len(calls) != 2 || calls[0].Operation != "ForceLogout" || calls[0].Path != eipauth.SmartAuthPath {
		t.Fatalf("printer calls %+v", calls)
	}
	if a, _ := p.Continue(ctx); a.Fields["Result"] != "Closed" {
		t.Fatalf("panel after forced logout: %+v", a.Fields)
	}
	if st, _ := app.do("GET", "/sso/v1/jobs", tok); st != http.StatusUnauthorized {
		t.Fatalf("token after forced logout: %d", st)
	}
	found := false
	for _, e := range *events {
		found = found || (e.Method == "logout" && e.Result == "forced")
	}
	if !found {
		t.Fatal("forced logout not audited")
	}

	pc := &eipauth.PrinterClient{HTTP: printerClient, Username: "admin", Password: "1111"}
	if err := pc.InitiateLogin(ctx, printerURL, "s1", alice); err != nil {
		t.Fatal(err)
	}
	if c := printer.Calls()[2]; c.Operation != "InitiateLogin" || c.Fields["UserName"] != alice.Email {
		t.Fatalf("InitiateLogin: %+v", c)
	}
}

// TestRegistration replaces a panel app's registration by checksum.
func TestRegistration(t *testing.T) {
	ctx := t.Context()
	printer := &paneltest.Printer{Username: "admin", Password: "1111"}
	url, client := serveTLS(t, printer)
	pc := &eipauth.PrinterClient{HTTP: client, Username: "admin", Password: "1111"}
	v1 := eipauth.Registration{Name: "Secure Print", URL: "https://agent:15043/app/v1"}
	sum1, err := pc.Register(ctx, url, v1, "")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := pc.Register(ctx, url, v1, sum1); err != nil || again != sum1 || len(printer.Calls()) != 1 {
		t.Fatalf("unchanged registration put again: %v %d calls", err, len(printer.Calls()))
	}
	v2 := v1
	v2.URL = "https://agent:15043/app/v2"
	sum2, err := pc.Register(ctx, url, v2, sum1)
	if err != nil || sum2 == sum1 {
		t.Fatal(err, sum2)
	}
	if regs := printer.Registrations(); len(regs) != 1 || regs[sum2] != "Secure Print" {
		t.Fatalf("registrations %v", regs)
	}
	if err := pc.Unregister(ctx, url, sum2); err != nil {
		t.Fatal(err)
	}
	if regs := printer.Registrations(); len(regs) != 0 {
		t.Fatalf("registrations after delete %v", regs)
	}
}
