package relay

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/edgeprint/edgeprint/relay/store"
)

// browserTimeout bounds the whole browser test.
const browserTimeout = 90 * time.Second

// chromium starts headless Debian chromium for the test, or skips it when
// chromium is missing (but fails in CI, where it must be installed).
func chromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (apt-get install chromium)")
		}
		t.Skip("chromium is not installed")
	}
	// Not t.TempDir: chromium's helpers may still write to the profile
	// for a moment after it is told to quit, which fails TempDir's
	// cleanup. Registered first, this runs after the browser is stopped.
	profile, err := os.MkdirTemp("", "edgeprint-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// The relay's certificate is self-signed; the test talks to it
		// on loopback only.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// TestBrowserFlows drives the console and the portal in headless chromium:
// an admin signs in, adds a user with a card, enables a printer, maps a
// reader, sees a job arrive and signs out; the user signs in on the portal,
// releases the job to the printer, and is signed out after idling.
func TestBrowserFlows(t *testing.T) {
	ctx := chromium(t)
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	var printer struct{ ID string }
	r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{"name": "Lobby MFP", "address": "10.0.0.5", "protocol": "raw9100", "enabled": false}, 201, &printer)
	ag := connectPrintingAgent(t, r, registerTestAgent(t, r, acme, "HQ-PC"))
	base := r.srv.URL()

	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			var loc string
			_ = chromedp.Run(ctx, chromedp.Location(&loc))
			t.Fatalf("%s: %v (at %s)", step, err, loc)
		}
	}
	login := func(email, password string) {
		t.Helper()
		run("log in as "+email,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(`input[name=company]`),
			chromedp.SendKeys(`input[name=company]`, "ACME"),
			chromedp.SendKeys(`input[name=email]`, email),
			chromedp.SendKeys(`input[name=password]`, password),
			chromedp.Click(`form[action="/login"] button`),
			chromedp.WaitVisible(`form.logout`),
		)
	}
	var text, card string

	login(acme.adminEmail, acme.adminPassword)

	run("add a user with a card",
		chromedp.Navigate(base+"/admin/users"),
		chromedp.SendKeys(`form[action="/admin/users"] input[name=email]`, "ann@acme.example"),
		chromedp.SendKeys(`form[action="/admin/users"] input[name=name]`, "Ann Example"),
		chromedp.SendKeys(`form[action="/admin/users"] input[name=password]`, "ann-password"),
		chromedp.SendKeys(`form[action="/admin/users"] input[name=card1]`, "04a1b2c3"),
		chromedp.Click(`form[action="/admin/users"] button`),
		chromedp.WaitVisible(`.notice`),
		chromedp.Text(`#users-table`, &text),
		chromedp.Value(`input[aria-label="Card 1 of ann@acme.example"]`, &card),
	)
	if !strings.Contains(text, "ann@acme.example") || card != "04A1B2C3" {
		t.Fatalf("users table: %q, card %q", text, card)
	}

	// The checkbox saves its form at once (console.js).
	run("enable a printer",
		chromedp.Navigate(base+"/admin/printers"),
		chromedp.Click(`form[action="/admin/printers/`+printer.ID+`"] input[name=enabled]`),
		chromedp.WaitVisible(`.notice`),
		chromedp.Text(`.notice`, &text),
	)
	if p, _ := r.srv.store.Printer(t.Context(), acme.id, printer.ID); !p.Enabled {
		t.Fatalf("printer not enabled (page says %q)", text)
	}

	run("map a reader",
		chromedp.Navigate(base+"/admin/readers"),
		chromedp.SendKeys(`form[action="/admin/readers"] input[name=address]`, "10.0.0.9"),
		chromedp.Click(`form[action="/admin/readers"] button`),
		chromedp.WaitVisible(`.notice`),
		chromedp.Text(`main`, &text),
	)
	if !strings.Contains(text, "10.0.0.9") || !strings.Contains(text, "Lobby MFP") {
		t.Fatalf("readers page: %q", text)
	}

	ann, err := r.srv.store.UserByEmail(t.Context(), acme.id, "ann@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	jobID := newJobID()
	if st := ag.upload(t, jobID, ann.ID, "quarterly-report.pdf", strings.NewReader("%PDF-1.7 report")); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	run("see the job arrive",
		chromedp.Navigate(base+"/admin/jobs"),
		chromedp.Text(`#jobs-table`, &text),
	)
	if !strings.Contains(text, "quarterly-report.pdf") || !strings.Contains(text, "held") {
		t.Fatalf("jobs page: %q", text)
	}

	var png []byte
	run("dashboard screenshot",
		chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible(`svg.chart`),
		chromedp.FullScreenshot(&png, 100), // 100: PNG,
	)
	shots := os.Getenv("EDGEPRINT_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	shot := filepath.Join(shots, "dashboard.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("dashboard screenshot: %s", shot)

	run("printers screenshot",
		chromedp.Navigate(base+"/admin/printers"),
		chromedp.FullScreenshot(&png, 100),
	)
	if err := os.WriteFile(filepath.Join(shots, "printers.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	run("log out",
		chromedp.Click(`form.logout button`),
		chromedp.WaitVisible(`form[action="/login"]`),
	)

	login("ann@acme.example", "ann-password")
	run("release from the portal",
		chromedp.Navigate(base+"/portal"),
		chromedp.Click(`form[action="/portal/jobs/`+jobID+`/release"] button`),
		chromedp.WaitVisible(`.notice`),
		chromedp.Text(`.notice`, &text),
	)
	if got := ag.document(jobID); got != "%PDF-1.7 report" {
		t.Fatalf("agent printed %q; page said %q", got, text)
	}
	if j, _ := r.srv.store.Job(t.Context(), acme.id, jobID); j.State != store.JobPrinted {
		t.Fatalf("job is %s", j.State)
	}
	// The portal on a phone-sized screen, with one job held.
	if st := ag.upload(t, newJobID(), ann.ID, "boarding-pass.pdf", strings.NewReader("%PDF-1.7 pass")); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	run("portal on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/portal"),
		chromedp.WaitVisible(`.jobs-list`),
		chromedp.FullScreenshot(&png, 100),
		chromedp.EmulateViewport(1280, 1000),
	)
	if err := os.WriteFile(filepath.Join(shots, "portal-phone.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	// Idle time-out: shortened for the test; the next page asks to sign in.
	r.srv.sessions.setIdle(time.Second)
	time.Sleep(1500 * time.Millisecond)
	var loc string
	run("idle time-out",
		chromedp.Navigate(base+"/portal"),
		chromedp.WaitVisible(`form[action="/login"]`),
		chromedp.Location(&loc),
	)
	if !strings.HasSuffix(loc, "/login") {
		t.Fatalf("after idling: at %s", loc)
	}
}
