package agent

import (
	"encoding/json"
	"net/http"
	"time"
)

// discoveryStatus is GET /discovered.json on the status page listener.
type discoveryStatus struct {
	Running   bool                `json:"running"`
	LastSweep time.Time           `json:"last_sweep,omitzero"`
	LastFound int                 `json:"last_found"`
	Printers  []DiscoveredPrinter `json:"printers"`
}

// discoveryRoutes adds discovery to the loopback status listener:
// GET /discovered.json lists what the agent found; POST /discover (with
// header X-Edgeprint-Discover: now, which a cross-site form cannot send)
// starts a sweep.
func (a *Agent) discoveryRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /discovered.json", func(w http.ResponseWriter, r *http.Request) {
		ps, err := a.store.DiscoveredPrinters()
		if err != nil {
			http.Error(w, "store: "+err.Error(), http.StatusInternalServerError)
			return
		}
		a.disc.mu.Lock()
		st := discoveryStatus{Running: a.disc.running, LastSweep: a.disc.lastSweep, LastFound: a.disc.lastFound, Printers: ps}
		a.disc.mu.Unlock()
		if st.Printers == nil {
			st.Printers = []DiscoveredPrinter{}
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(st)
	})
	mux.HandleFunc("POST /discover", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Edgeprint-Discover") != "now" {
			http.Error(w, "send header X-Edgeprint-Discover: now", http.StatusBadRequest)
			return
		}
		if a.disc.cfg.Disabled {
			http.Error(w, "discovery is disabled in the configuration", http.StatusConflict)
			return
		}
		a.Discover()
		w.WriteHeader(http.StatusAccepted)
	})
}

// discoveryTunnelRoutes adds the relay's call POST /relay/v1/discover (an
// admin asked for a sweep now).
func (a *Agent) discoveryTunnelRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /relay/v1/discover", func(w http.ResponseWriter, r *http.Request) {
		if a.disc.cfg.Disabled {
			http.Error(w, `{"error":"discovery is disabled on this agent"}`, http.StatusConflict)
			return
		}
		a.log.Info("sweep requested by the relay")
		a.Discover()
		w.WriteHeader(http.StatusAccepted)
	})
}
