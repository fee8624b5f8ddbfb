package agent

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeprint/edgeprint/docstore"
)

// TestServePortalRelease releases a job of the local spool to a raw 9100
// printer on loopback, and checks the refusals.
func TestServePortalRelease(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(filepath.Join(dir, "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	docs, err := docstore.Open(filepath.Join(dir, "spool"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	a := &Agent{log: slog.New(slog.NewTextHandler(t.Output(), nil)), store: st, docs: docs, registry: reg,
		metrics: newMetrics(reg), reportKick: make(chan struct{}, 1), releasing: map[string]bool{}}
	a.delivery = newDeliverer(a)

	// The printer: takes one connection and keeps what it got.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	t.Cleanup(func() { ln.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close()
	if err := st.SaveSiteConfig(SiteConfig{Printers: []Printer{
		{ID: "p1", Name: "Lobby", Address: "127.0.0.1", Port: port, Protocol: "raw9100", Enabled: true},
		{ID: "p2", Name: "Off", Address: "127.0.0.1", Port: port, Protocol: "raw9100"},
		{ID: "p3", Name: "Down", Address: "127.0.0.1", Port: deadPort, Protocol: "raw9100", Enabled: true},
	}}); err != nil {
		t.Fatal(err)
	}
	ann := User{ID: "u1", Email: "ann@acme.example", Name: "Ann"}
	for _, id := range []string{"j1", "j2"} {
		key, size, err := docs.Write(id, strings.NewReader("%PDF-1.7 document "+id))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddJob(&JobRecord{ID: id, User: ann, Name: id + ".pdf", Format: "application/pdf", Size: size, Key: key}); err != nil {
			t.Fatal(err)
		}
	}

	call := func(body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		a.servePortalRelease(w, httptest.NewRequest("POST", "/relay/v1/release", strings.NewReader(body)))
		return w
	}
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"bad JSON", `{"job_id":`, http.StatusBadRequest},
		{"no user", `{"job_id":"j2","printer_id":"p1"}`, http.StatusBadRequest},
		{"unknown printer", `{"job_id":"j2","printer_id":"nope","user":{"id":"u1"}}`, http.StatusNotFound},
		{"disabled printer", `{"job_id":"j2","printer_id":"p2","user":{"id":"u1"}}`, http.StatusConflict},
		{"printer down", `{"job_id":"j2","printer_id":"p3","user":{"id":"u1"}}`, http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w := call(tc.body); w.Code != tc.want {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.want)
			}
		})
	}
	if _, err := st.Job("j2"); err != nil {
		t.Fatalf("a failed release lost the job: %v", err)
	}

	w := call(`{"job_id":"j1","printer_id":"p1","name":"ignored","user":{"id":"u1","email":"ann@acme.example"}}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "printed") {
		t.Fatalf("release: %d %s", w.Code, w.Body)
	}
	if b := <-got; !bytes.Contains(b, []byte("%PDF-1.7 document j1")) {
		t.Fatalf("printer got %q", b)
	}
	reports, err := st.Reports()
	if err != nil || !slices.ContainsFunc(reports, func(r StateReport) bool {
		return r.JobID == "j1" && r.State == "printed" && r.PrinterID == "p1"
	}) {
		t.Fatalf("reports: %+v %v", reports, err)
	}
}
