package agent

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/snmp"
	"github.com/edgeprint/edgeprint/tunnel"
)

// TestReportPrinters sends the stored inventory through a real tunnel to
// an in-process relay stand-in and checks the body the relay receives
// (the relay's own handling is tested in package relay).
func TestReportPrinters(t *testing.T) {
	var mu sync.Mutex
	var got struct {
		Printers []map[string]any `json:"printers"`
	}
	relayDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := tunnel.Accept(w, r)
		if err != nil {
			return
		}
		defer close(relayDone)
		s.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut || r.URL.Path != "/agent/v1/printers" {
				http.NotFound(w, r)
				return
			}
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if err := json.Unmarshal(b, &got); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Write([]byte(`{"printers":[]}`))
		}))
	}))
	defer srv.Close()

	st, err := OpenStore(filepath.Join(t.TempDir(), "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := int64(90474)
	if _, err := st.MergeDiscovered([]snmp.Printer{
		{Address: "10.0.0.7", Manufacturer: "Sharp", Model: "MX-M266NV", Serial: "0505571100", PageCount: &n},
		{Address: "10.0.0.8", Manufacturer: "HP", MAC: "94:57:a5:34:df:33"},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	a := &Agent{store: st, log: slog.New(slog.DiscardHandler), sess: newSessionHolder(), disc: newDiscovery(defaultDiscovery())}
	a.relay = relayClient{session: a.sess.wait}
	if a.reportPrinters(t.Context()) {
		t.Fatal("report claimed delivery without a tunnel")
	}
	s, err := tunnel.Dial(t.Context(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.sess.set(s)
	if !a.reportPrinters(t.Context()) {
		t.Fatal("report not delivered")
	}
	s.Close()
	<-relayDone
	mu.Lock()
	defer mu.Unlock()
	if len(got.Printers) != 2 || got.Printers[0]["serial"] != "0505571100" || got.Printers[0]["page_count"] != float64(90474) ||
		got.Printers[1]["mac"] != "94:57:a5:34:df:33" || got.Printers[0]["id"] == "" {
		t.Fatalf("relay got %+v", got.Printers)
	}
}

func TestDiscoveryAdminRoutes(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &Agent{store: st, log: slog.New(slog.DiscardHandler), disc: newDiscovery(defaultDiscovery())}
	mux := http.NewServeMux()
	a.discoveryRoutes(mux)
	tests := []struct {
		name, method, path, header string
		want                       int
	}{
		{"list", "GET", "/discovered.json", "", http.StatusOK},
		{"sweep without header", "POST", "/discover", "", http.StatusBadRequest},
		{"sweep", "POST", "/discover", "now", http.StatusAccepted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			if tc.header != "" {
				req.Header.Set("X-Edgeprint-Discover", tc.header)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, rec.Code, rec.Body)
			}
		})
	}
	select {
	case <-a.disc.kick:
	default:
		t.Fatal("POST /discover did not ask for a sweep")
	}
}
