package relay

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the HTTPS listener's handler: the JSON API, the agent
// registration and tunnel, and the console.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	mux.HandleFunc("GET /api/v1/company", s.api(s.getCompany))
	mux.HandleFunc("PATCH /api/v1/company", s.api(s.patchCompany))
	mux.HandleFunc("POST /api/v1/users", s.api(s.createUser))
	mux.HandleFunc("GET /api/v1/users", s.api(s.listUsers))
	mux.HandleFunc("POST /api/v1/printers", s.api(s.createPrinter))
	mux.HandleFunc("GET /api/v1/printers", s.api(s.listPrinters))
	mux.HandleFunc("PATCH /api/v1/printers/{id}", s.api(s.patchPrinter))
	mux.HandleFunc("POST /api/v1/printers/{id}/logout", s.api(s.panelLogout))
	mux.HandleFunc("POST /api/v1/readers", s.api(s.createReader))
	mux.HandleFunc("GET /api/v1/readers", s.api(s.listReaders))
	mux.HandleFunc("GET /api/v1/jobs", s.api(s.listJobs))
	mux.HandleFunc("POST /api/v1/activation-codes", s.api(s.createActivationCode))
	mux.HandleFunc("GET /api/v1/agents", s.api(s.listAgents))
	mux.HandleFunc("PATCH /api/v1/agents/{id}", s.api(s.patchAgent))
	mux.HandleFunc("POST /api/v1/agents/{id}/discover", s.api(s.discoverNow))
	// No API token: the agent's own credentials.
	mux.HandleFunc("POST /api/v1/agents/register", s.registerAgent)
	mux.HandleFunc("GET /api/v1/agents/tunnel", s.handleTunnel)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, errorf(http.StatusNotFound, "no such route: %s %s", r.Method, r.URL.Path))
	})

	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("POST /printers/{id}/enabled", s.consoleSetPrinterEnabled)
	mux.HandleFunc("GET /console.css", s.stylesheet)
	// Claiming a badge: the signed-in user's own session, never a token.
	mux.HandleFunc("GET /cards/claim", s.claimPage)
	mux.HandleFunc("POST /cards/claim", s.claimForm)
	mux.HandleFunc("POST /portal/v1/cards/claim", s.claimJSON)
	mux.HandleFunc("POST /portal/unlock", s.portalUnlockHandler)
	mux.HandleFunc("GET /{$}", s.home)
	s.consoleRoutes(mux) // admin console, user portal and their API (routes_console.go)

	return securityHeaders(s.metrics.instrument(mux))
}

// adminRoutes is the loopback listener's handler.
func (s *Server) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.store.Ping(r.Context()); err != nil {
			http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

// securityHeaders sets what browsers need to keep the console safe on
// every answer; API clients ignore them.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
