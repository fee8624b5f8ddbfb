package eipauth_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgeprint/edgeprint/eipauth"
	"github.com/edgeprint/edgeprint/eipauth/paneltest"
)

// TestPanelLogin runs the panel simulator over TLS with the agent's
// generated certificate, in both SOAP versions and on both paths.
func TestPanelLogin(t *testing.T) {
	b := newBackend()
	svc, events := newService(t, b)
	base, client := serveTLS(t, svc.ConvAuthHandler("/edgeprint/convauth"))
	for _, soap12 := range []bool{false, true} {
		for _, path := range []string{"/edgeprint/convauth", eipauth.XeroxPath} {
			name := "soap1.1" + path
			if soap12 {
				name = "soap1.2" + path
			}
			t.Run(name, func(t *testing.T) {
				ctx := t.Context()
				p := panel(base+path, client, soap12)
				tests := []struct {
					name       string
					login      func() (paneltest.Answer, error)
					wantResult string
					wantUser   string
				}{
					{"unknown badge", func() (paneltest.Answer, error) { return p.Badge(ctx, "9999") }, "Deny", ""},
					{"wrong password", func() (paneltest.Answer, error) { return p.Login(ctx, "alice@example.com", "nope") }, "Deny", ""},
					{"badge", func() (paneltest.Answer, error) { return p.Badge(ctx, "1001") }, "Accept", "Alice Martin"},
					{"password", func() (paneltest.Answer, error) { return p.Login(ctx, "alice@example.com", "correct horse") }, "Accept", "Alice Martin"},
				}
				for _, tc := range tests {
					t.Run(tc.name, func(t *testing.T) {
						init, err := p.Init(ctx)
						if err != nil || init.Fault != "" || init.Status != 200 {
							t.Fatalf("init: %v %+v", err, init)
						}
						if code := init.Fields["UnlockCode"]; len(code) != 4 || init.Fields["Title"] == "" || init.Fields["Prompt"] == "" {
							t.Fatalf("blocking screen not described: %+v", init.Fields)
						}
						a, err := tc.login()
						if err != nil || a.Fault != "" {
							t.Fatalf("validate: %v %+v", err, a)
						}
						if got := a.Fields["Result"]; got != tc.wantResult {
							t.Fatalf("Result = %q, want %q (%+v)", got, tc.wantResult, a.Fields)
						}
						if tc.wantResult == "Deny" {
							if a.Fields["Reason"] == "" || a.Fields["UnlockCode"] == "" {
								t.Fatalf("deny without reason or screen: %+v", a.Fields)
							}
							if st, _ := svc.SessionState(p1.ID); st != eipauth.StateAuthenticating {
								t.Fatalf("state after deny = %s", st)
							}
							return
						}
						if a.Fields["DisplayName"] != tc.wantUser || a.Fields["UserName"] != alice.Email || !slices.Equal(a.All["AccountingCode"], alice.AccountingCodes) {
							t.Fatalf("accept answer: %+v", a.All)
						}
						if st, u := svc.SessionState(p1.ID); st != eipauth.StateLoggedIn || u.ID != alice.ID {
							t.Fatalf("state = %s %s", st, u.ID)
						}
						if other, _ := p.Badge(ctx, "2002"); other.Fault == "" {
							t.Fatalf("another badge on a logged-in session: %+v", other.Fields)
						}
						if again, _ := p.Poll(ctx); again.Fields["Result"] != "Accept" || again.Fields["UserId"] != alice.ID {
							t.Fatalf("asking again: %+v", again.Fields)
						}
						c, _ := p.Continue(ctx)
						if c.Fields["Result"] != "Continue" {
							t.Fatalf("continue: %+v", c.Fields)
						}
						cl, _ := p.Close(ctx)
						if cl.Fields["Result"] != "Closed" {
							t.Fatalf("close: %+v", cl.Fields)
						}
						if st, _ := svc.SessionState(p1.ID); st != eipauth.StateIdle {
							t.Fatalf("state after close = %s", st)
						}
						c, _ = p.Continue(ctx)
						if c.Fields["Result"] != "Closed" {
							t.Fatalf("continue after close: %+v", c.Fields)
						}
					})
				}
			})
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.auto) != 8 || b.auto[0] != "u-alice@p1" {
		t.Errorf("auto-release calls = %v, want 8 for alice at p1", b.auto)
	}
	var denied, accepted int
	for _, e := range *events {
		switch {
		case e.Interface == "panel" && e.Result == "denied":
			denied++
		case e.Interface == "panel" && e.Result == "accepted":
			accepted++
		}
	}
	// 8 wrong badges or passwords, 8 badges of another user on a logged-in session.
	if denied != 16 || accepted != 8 {
		t.Errorf("audit: %d denied, %d accepted, want 16 and 8", denied, accepted)
	}
}

// TestUnlockCodeLogin: the panel shows a code, polls Pending, the user
// enters the code in the portal, the next poll accepts; the code rotated.
func TestUnlockCodeLogin(t *testing.T) {
	b := newBackend()
	svc, _ := newService(t, b)
	base, client := serveTLS(t, svc.ConvAuthHandler(""))
	ctx := t.Context()
	p := panel(base+eipauth.DefaultPath, client, true)
	init, _ := p.Init(ctx)
	code := init.Fields["UnlockCode"]
	if a, _ := p.Poll(ctx); a.Fields["Result"] != "Pending" || a.Fields["UnlockCode"] != code {
		t.Fatalf("poll before the code: %+v", a.Fields)
	}
	if err := svc.Unlock(p1.ID, "ZZZZ", bob, "127.0.0.9:1"); !errors.Is(err, eipauth.ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if err := svc.Unlock(p2.ID, code, bob, "127.0.0.9:1"); err == nil {
		t.Fatal("p1's code unlocked p2")
	}
	if err := svc.Unlock(p1.ID, strings.ToLower(code), bob, "127.0.0.9:1"); err != nil {
		t.Fatal(err)
	}
	a, _ := p.Poll(ctx)
	if a.Fields["Result"] != "Accept" || a.Fields["DisplayName"] != bob.Name {
		t.Fatalf("poll after the code: %+v", a.Fields)
	}
	if err := svc.Unlock(p1.ID, code, alice, "127.0.0.9:1"); err == nil {
		t.Fatal("a used code worked twice")
	}
	if now := svc.Codes().Current(p1.ID); now == code {
		t.Fatal("code did not rotate after use")
	}
}

func TestCodesRotateOnTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := eipauth.NewCodes()
		first := c.Current("p1")
		time.Sleep(eipauth.CodeTTL - time.Second)
		if c.Current("p1") != first {
			t.Fatal("code rotated early")
		}
		time.Sleep(2 * time.Second)
		// One in 23^4 that the new code equals the old one.
		if c.Current("p1") == first {
			t.Fatal("code did not rotate after CodeTTL")
		}
		for range 1000 {
			for _, ch := range eipauth.NewCode() {
				if !strings.ContainsRune(eipauth.Alphabet, ch) {
					t.Fatalf("%q is not in the alphabet", ch)
				}
			}
		}
	})
}

// TestUnlockBruteForce guesses codes until the rate limit stops it.
func TestUnlockBruteForce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc, events := newService(t, newBackend())
		h := svc.ConvAuthHandler("")
		p := panel("https://agent"+eipauth.DefaultPath, inProcess(h, "127.0.0.1:5000"), false)
		if _, err := p.Init(t.Context()); err != nil {
			t.Fatal(err)
		}
		real := svc.Codes().Current(p1.ID)
		limited := 0
		for i := range 50 {
			guess := eipauth.NewCode()
			if guess == real {
				continue
			}
			err := svc.Unlock(p1.ID, guess, bob, "127.0.0.9:1")
			if errors.Is(err, eipauth.ErrRateLimited) {
				limited++
				if i < 5 {
					t.Fatalf("rate-limited after %d attempts", i)
				}
			}
		}
		if limited < 40 {
			t.Fatalf("only %d of 50 guesses were rate-limited", limited)
		}
		// Another user is limited at this printer too: guessing from many
		// accounts does not help.
		if err := svc.Unlock(p1.ID, "AAAA", alice, "127.0.0.9:1"); !errors.Is(err, eipauth.ErrRateLimited) {
			t.Fatalf("second user at the same printer: %v", err)
		}
		// Later, the right code works again.
		time.Sleep(time.Minute)
		if err := svc.Unlock(p1.ID, svc.Codes().Current(p1.ID), bob, "127.0.0.9:1"); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range *events {
			if e.Result == "rate-limited" {
				n++
			}
		}
		if n != limited+1 {
			t.Fatalf("audit has %d rate-limited attempts, want %d", n, limited+1)
		}
	})
}

// TestSessionTimeouts: an idle logged-in session closes after IdleTimeout,
// an unused blocking-screen session after AuthenticatingTimeout.
func TestSessionTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc, _ := newService(t, newBackend())
		p := panel("https://agent/convauth", inProcess(svc.ConvAuthHandler(""), "127.0.0.1:5000"), true)
		ctx := t.Context()
		p.Init(ctx)
		if a, _ := p.Badge(ctx, "1001"); a.Fields["Result"] != "Accept" {
			t.Fatalf("%+v", a)
		}
		time.Sleep(eipauth.IdleTimeout - time.Second)
		if a, _ := p.Continue(ctx); a.Fields["Result"] != "Continue" {
			t.Fatalf("continue within the idle time: %+v", a.Fields)
		}
		time.Sleep(eipauth.IdleTimeout + time.Second)
		if a, _ := p.Continue(ctx); a.Fields["Result"] != "Closed" {
			t.Fatalf("continue after the idle time: %+v", a.Fields)
		}
		if st, _ := svc.SessionState(p1.ID); st != eipauth.StateIdle {
			t.Fatalf("state = %s", st)
		}
		p.Init(ctx)
		time.Sleep(eipauth.AuthenticatingTimeout + time.Second)
		a, _ := p.Badge(ctx, "1001")
		if a.Fault == "" || a.Status != http.StatusBadRequest {
			t.Fatalf("validate on an expired session: %d %+v", a.Status, a)
		}
	})
}

func TestPrinterIdentity(t *testing.T) {
	svc, _ := newService(t, newBackend())
	h := svc.ConvAuthHandler("")
	ctx := t.Context()
	t.Run("unknown source address", func(t *testing.T) {
		p := panel("https://agent/convauth", inProcess(h, "127.0.0.77:5000"), false)
		a, err := p.Init(ctx)
		if err != nil || a.Status != 500 || a.Fault == "" {
			t.Fatalf("%v %+v", err, a)
		}
	})
	t.Run("override header", func(t *testing.T) {
		p := panel("https://agent/convauth", inProcess(h, "127.0.0.77:5000"), false)
		p.PrinterID = p2.ID
		p.Init(ctx)
		p.Badge(ctx, "2002")
		if st, u := svc.SessionState(p2.ID); st != eipauth.StateLoggedIn || u.ID != bob.ID {
			t.Fatalf("p2: %s %s", st, u.ID)
		}
		if st, _ := svc.SessionState(p1.ID); st != eipauth.StateIdle {
			t.Fatalf("p1: %s", st)
		}
	})
	t.Run("override from a host that may not give one", func(t *testing.T) {
		// 10.9.9.9 is not loopback: its override is ignored, and it is
		// no printer.
		p := panel("https://agent/convauth", inProcess(h, "10.9.9.9:5000"), false)
		p.PrinterID = p1.ID
		if a, _ := p.Init(ctx); a.Fault == "" {
			t.Fatalf("a stranger acted as p1: %+v", a)
		}
		trusted := eipauth.New(eipauth.Config{Printers: newBackend(), OverrideFrom: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}})
		p = panel("https://agent/convauth", inProcess(trusted.ConvAuthHandler(""), "10.9.9.9:5000"), false)
		p.PrinterID = p1.ID
		if a, _ := p.Init(ctx); a.Fields["SessionId"] == "" {
			t.Fatalf("override from OverrideFrom refused: %+v", a)
		}
	})
	t.Run("override element", func(t *testing.T) {
		p := panel("https://agent/convauth", inProcess(h, "127.0.0.77:5000"), true)
		a, _ := p.Call(ctx, "InitAuthenticationSession", "PrinterId", "p1")
		if a.Fields["SessionId"] == "" {
			t.Fatalf("%+v", a)
		}
	})
}

// TestFaults: every bad request gets a fault in its SOAP version.
func TestFaults(t *testing.T) {
	svc, _ := newService(t, newBackend())
	base, client := serveTLS(t, svc.ConvAuthHandler(""))
	p := panel(base+eipauth.DefaultPath, client, false)
	tests := []struct {
		name, ctype, body string
		status            int
	}{
		{"garbage 1.1", "text/xml", "<<<not xml", 500},
		{"garbage 1.2", "application/soap+xml", "<<<not xml", 400},
		{"truncated", "text/xml", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><CloseSession>`, 500},
		{"no body", "application/soap+xml", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>`, 400},
		{"not an envelope", "text/xml", `<html/>`, 500},
		{"unknown operation", "application/soap+xml", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><Reboot/></s:Body></s:Envelope>`, 400},
		{"too large", "text/xml", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><CloseSession><Reason>` + strings.Repeat("x", eipauth.MaxBody) + `</Reason></CloseSession></s:Body></s:Envelope>`, 500},
		{"other charset", "text/xml", `<?xml version="1.0" encoding="ebcdic"?><x/>`, 500},
		{"validate without session", "text/xml", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><ValidateAndContinue><SessionId>nope</SessionId></ValidateAndContinue></s:Body></s:Envelope>`, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := p.Raw(t.Context(), tc.ctype, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != tc.status || a.Fault == "" {
				t.Fatalf("status %d fault %q, want %d and a fault", a.Status, a.Fault, tc.status)
			}
		})
	}
	resp, err := client.Get(base + eipauth.DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}

// TestUnknownElementsLogged: elements the server does not know are logged
// with their values so a real printer's fields can be captured.
func TestUnknownElementsLogged(t *testing.T) {
	var logs syncBuf
	svc := eipauth.New(eipauth.Config{Printers: newBackend(),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	p := panel("https://agent/convauth", inProcess(svc.ConvAuthHandler(""), "127.0.0.1:5000"), true)
	if a, _ := p.Call(t.Context(), "InitAuthenticationSession", "DeviceName", "MFP", "FirmwareLevel", "71.2.3"); a.Fields["SessionId"] == "" {
		t.Fatalf("%+v", a)
	}
	p.Call(t.Context(), "GetDeviceQuota", "UserName", "x")
	out := logs.String()
	if !strings.Contains(out, "unknown SOAP elements") || !strings.Contains(out, "firmwarelevel=71.2.3") || strings.Contains(out, "devicename=") {
		t.Fatalf("unknown element not logged as expected:\n%s", out)
	}
	if !strings.Contains(out, "unknown SOAP operation") || !strings.Contains(out, "GetDeviceQuota") {
		t.Fatalf("unknown operation not logged:\n%s", out)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func BenchmarkParse(b *testing.B) {
	body := []byte(soapSeeds[1])
	for b.Loop() {
		if _, err := eipauth.Parse(bytes.NewReader(body), "application/soap+xml"); err != nil {
			b.Fatal(err)
		}
	}
}
