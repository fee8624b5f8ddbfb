package relay

import "net/http"

// consoleRoutes adds the admin console, the user portal and the JSON API
// routes behind them. Console pages need a signed-in session (admin pages
// an admin's, else 404) and every form its session's CSRF token; API
// routes an admin API token. Everything is scoped to the caller's company.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	// JSON API (docs/api.md).
	mux.HandleFunc("GET /api/v1/settings", s.api(s.getSettings))
	mux.HandleFunc("PATCH /api/v1/settings", s.api(s.patchSettings))
	mux.HandleFunc("GET /api/v1/sites", s.api(s.listSites))
	mux.HandleFunc("POST /api/v1/sites", s.api(s.createSite))
	mux.HandleFunc("PUT /api/v1/printers/{id}/site", s.api(s.putPrinterSite))
	mux.HandleFunc("POST /api/v1/users/import", s.api(s.importUsersAPI))
	mux.HandleFunc("PUT /api/v1/users/{id}/cards", s.api(s.putUserCards))
	mux.HandleFunc("GET /api/v1/audit/events", s.api(s.listEvents))
	mux.HandleFunc("GET /api/v1/stats/jobs", s.api(s.jobStatsAPI))
	mux.HandleFunc("DELETE /api/v1/jobs/{id}", s.api(s.deleteJobAPI))
	mux.HandleFunc("POST /api/v1/jobs/{id}/release", s.api(s.releaseJobAPI))

	// Admin console.
	mux.HandleFunc("GET /console.js", s.script)
	mux.HandleFunc("GET /admin", s.consolePage(true, s.dashboardPage))
	mux.HandleFunc("GET /admin/users", s.consolePage(true, s.usersPage))
	mux.HandleFunc("POST /admin/users", s.consoleForm(true, s.addUserForm, s.usersPage))
	mux.HandleFunc("POST /admin/users/import", s.consoleForm(true, s.importUsersForm, s.usersPage))
	mux.HandleFunc("POST /admin/users/{id}/cards", s.consoleForm(true, s.userCardsForm, s.usersPage))
	mux.HandleFunc("GET /admin/printers", s.consolePage(true, s.printersPage))
	mux.HandleFunc("POST /admin/printers/{id}", s.consoleForm(true, s.printerForm, s.printersPage))
	mux.HandleFunc("POST /admin/sites", s.consoleForm(true, s.addSiteForm, s.printersPage))
	mux.HandleFunc("GET /admin/readers", s.consolePage(true, s.readersPage))
	mux.HandleFunc("POST /admin/readers", s.consoleForm(true, s.addReaderForm, s.readersPage))
	mux.HandleFunc("GET /admin/agents", s.consolePage(true, s.agentsPage))
	mux.HandleFunc("POST /admin/activation-codes", s.consoleForm(true, s.activationCodeForm, s.agentsPage))
	mux.HandleFunc("GET /admin/jobs", s.consolePage(true, s.jobsPage))
	mux.HandleFunc("POST /admin/jobs/{id}/delete", s.consoleForm(true, s.adminDeleteJob, s.jobsPage))
	mux.HandleFunc("GET /admin/audit", s.consolePage(true, s.auditPage))
	mux.HandleFunc("GET /admin/settings", s.consolePage(true, s.settingsPage))
	mux.HandleFunc("POST /admin/settings", s.consoleForm(true, s.settingsForm, s.settingsPage))

	// User portal: any signed-in user, their own jobs only.
	mux.HandleFunc("GET /portal", s.consolePage(false, s.portalPage))
	mux.HandleFunc("POST /portal/jobs/{id}/delete", s.consoleForm(false, s.portalDelete, s.portalPage))
	mux.HandleFunc("POST /portal/jobs/{id}/release", s.consoleForm(false, s.portalRelease, s.portalPage))
	mux.HandleFunc("POST /portal/upload", s.portalUpload)
}
