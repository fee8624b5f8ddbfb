package agent

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeprint/edgeprint/eipauth"
)

// panelAgent is an agent with a store and the panel service, no listeners.
func panelAgent(t *testing.T, sc SiteConfig) *Agent {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SaveSiteConfig(sc); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Discovery.Disabled = true // never sweep the host's networks from a test
	cfg.Panel.ConvenienceAuthListen, cfg.Panel.SSOListen = Off, Off
	a := &Agent{cfg: cfg, store: s, log: slog.New(slog.DiscardHandler), registry: prometheus.NewRegistry()}
	if err := a.openPanel(); err != nil {
		t.Fatal(err)
	}
	return a
}

var panelSite = SiteConfig{
	Company: CompanyInfo{Code: "ACME", AutoRelease: true},
	Printers: []Printer{
		{ID: "p1", Name: "Lobby", Address: "10.0.0.5", Enabled: true},
		{ID: "p2", Name: "Off", Address: "10.0.0.6", Enabled: false},
	},
}

func TestPanelPrinterFor(t *testing.T) {
	b := panelBackend{panelAgent(t, panelSite)}
	tests := []struct {
		key, want string
	}{
		{"10.0.0.5", "p1"},
		{"::ffff:10.0.0.5", "p1"},
		{"p1", "p1"},
		{"10.0.0.6", ""}, // disabled
		{"p2", ""},
		{"10.0.0.7", ""},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			p, err := b.PrinterFor(tc.key)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("found %+v", p)
				}
				return
			}
			if err != nil || p.ID != tc.want {
				t.Fatalf("%+v %v", p, err)
			}
		})
	}
}

func TestServeUnlock(t *testing.T) {
	a := panelAgent(t, panelSite)
	svc := a.panel.svc
	// The printer shows its blocking screen.
	init := httptest.NewRequest("POST", eipauth.DefaultPath, strings.NewReader(
		`<Envelope><Body><InitAuthenticationSession/></Body></Envelope>`))
	init.RemoteAddr = "10.0.0.5:4000"
	rec := httptest.NewRecorder()
	svc.ConvAuthHandler("").ServeHTTP(rec, init)
	if rec.Code != 200 {
		t.Fatalf("init: %d %s", rec.Code, rec.Body)
	}
	code := svc.Codes().Current("p1")
	user := `"user":{"id":"u1","email":"ann@acme.example","name":"Ann"}`
	tests := []struct {
		name, body string
		want       int
	}{
		{"not json", `{`, http.StatusBadRequest},
		{"no user", `{"printer_id":"p1","code":"` + code + `"}`, http.StatusBadRequest},
		{"other agent's printer", `{"printer_id":"p9","code":"` + code + `",` + user + `}`, http.StatusNotFound},
		{"wrong code", `{"printer_id":"p1","code":"AAAA",` + user + `}`, http.StatusForbidden},
		{"right code", `{"printer_id":"p1","code":"` + code + `",` + user + `}`, http.StatusNoContent},
		{"used code", `{"printer_id":"p1","code":"` + code + `",` + user + `}`, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.serveUnlock(rec, httptest.NewRequest("POST", "/relay/v1/unlock", strings.NewReader(tc.body)))
			if rec.Code != tc.want {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.want)
			}
		})
	}
	t.Run("rate limited", func(t *testing.T) {
		rec := httptest.NewRecorder()
		for range 10 {
			rec = httptest.NewRecorder()
			a.serveUnlock(rec, httptest.NewRequest("POST", "/relay/v1/unlock",
				strings.NewReader(`{"printer_id":"p1","code":"AAAA",`+user+`}`)))
		}
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("%d, want 429", rec.Code)
		}
	})
}

func TestAutoReleaseSetting(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name     string
		company  bool
		override *bool
		want     bool
	}{
		{"company on", true, nil, true},
		{"company off", false, nil, false},
		{"site overrides on", false, &on, true},
		{"site overrides off", true, &off, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := panelSite
			sc.Company.AutoRelease = tc.company
			a := panelAgent(t, sc)
			a.cfg.Panel.AutoRelease = tc.override
			if got := a.autoReleaseOn(); got != tc.want {
				t.Fatalf("%v, want %v", got, tc.want)
			}
		})
	}
}

func TestAuditQueue(t *testing.T) {
	q := newAuditQueue()
	for i := range auditQueueMax + 5 {
		q.add(eipauth.Event{User: strconv.Itoa(i)})
	}
	if q.dropped != 5 {
		t.Fatalf("dropped %d, want 5", q.dropped)
	}
	select {
	case <-q.kick:
	default:
		t.Fatal("a full batch did not kick the sender")
	}
	b := q.take()
	if len(b) != auditBatch || b[0].User != "5" {
		t.Fatalf("batch of %d starting at %q", len(b), b[0].User)
	}
	q.putBack(b)
	if again := q.take(); again[0].User != "5" {
		t.Fatalf("put-back batch not first: %q", again[0].User)
	}
}
