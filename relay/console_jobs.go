package relay

import (
	"net/http"
	"strconv"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

type jobsData struct {
	Jobs     []jobResponse
	State    string
	Printers map[string]string
}

// jobsPage lists every job of the company, newest first, by state.
func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	state, err := parseState(r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	jobs, err := s.jobList(r.Context(), c.company.ID, store.JobFilter{State: state})
	if err != nil {
		return err
	}
	for i, j := 0, len(jobs)-1; i < j; i, j = i+1, j-1 {
		jobs[i], jobs[j] = jobs[j], jobs[i]
	}
	printers, err := s.store.Printers(r.Context(), c.company.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, p := range printers {
		names[p.ID] = p.Name
	}
	return s.show(w, c, "admin_jobs.html", "jobs", jobsData{Jobs: jobs, State: string(state), Printers: names})
}

// adminDeleteJob deletes any held or failed job of the company now.
func (s *Server) adminDeleteJob(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	if err := s.deleteJob(r.Context(), c.company.ID, "", c.user.ID, r.PathValue("id")); err != nil {
		return err
	}
	c.notice = "Job deleted."
	return nil
}

type auditData struct {
	Events                        []store.AuditEvent
	Kind, Outcome, Channel, Actor string
	Since, Until                  string
	Kinds, Outcomes, Channels     []string
	Users                         map[string]string
}

// auditPage shows the audit log with the API's filters.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	q := r.URL.Query()
	f, err := eventFilter(q)
	if err != nil {
		c.status, c.errMsg = http.StatusBadRequest, err.Error()
		f = store.EventFilter{Limit: 200}
	}
	evs, err := s.store.Events(r.Context(), c.company.ID, f)
	if err != nil {
		return err
	}
	users, err := s.store.Users(r.Context(), c.company.ID)
	if err != nil {
		return err
	}
	d := auditData{Events: evs, Kind: q.Get("kind"), Outcome: q.Get("outcome"), Channel: q.Get("channel"), Actor: q.Get("actor"),
		Since: q.Get("since"), Until: q.Get("until"), Users: map[string]string{},
		Kinds:    []string{store.EventLogin, store.EventLogout, store.EventAdmin, store.EventJob},
		Outcomes: []string{store.OutcomeOK, store.OutcomeRefused, store.OutcomeLimited, store.OutcomeUnavailable, "failed"},
		Channels: []string{store.ChannelConsole, store.ChannelAPI, store.ChannelAgent, store.ChannelPortal}}
	for _, u := range users {
		d.Users[u.ID] = u.Email
	}
	return s.show(w, c, "admin_audit.html", "audit", d)
}

// jobStatsAPI answers GET /api/v1/stats/jobs?days=N (1 to 90, default
// 14): jobs received per day, the data of the console's chart.
func (s *Server) jobStatsAPI(w http.ResponseWriter, r *http.Request, companyID string) error {
	if err := onlyParams(r.URL.Query(), "days"); err != nil {
		return err
	}
	days := chartDays
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 90 {
			return badRequest("days must be 1 to 90")
		}
		days = n
	}
	jobs, err := s.store.Jobs(r.Context(), companyID, store.JobFilter{})
	if err != nil {
		return err
	}
	counts, dates := jobVolume(jobs, days, time.Now())
	type day struct {
		Date string `json:"date"`
		Jobs int    `json:"jobs"`
	}
	out := make([]day, len(counts))
	for i := range counts {
		out[i] = day{Date: dates[i].Format("2006-01-02"), Jobs: counts[i]}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	return s.show(w, c, "admin_settings.html", "settings", toSettings(c.company))
}

// settingsForm saves the whole settings form.
func (s *Server) settingsForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	f := r.PostForm
	ret := store.Retention(f.Get("retention"))
	auth := f.Get("auth_type")
	auto, secure := f.Get("auto_release") == "on", f.Get("secure_print_required") == "on"
	co, err := s.changeSettings(r.Context(), c.company.ID, c.user.ID, settingsPatch{Retention: &ret, AuthType: &auth, AutoRelease: &auto, SecurePrintRequired: &secure})
	if err != nil {
		return err
	}
	c.company = co
	c.notice = "Settings saved."
	return nil
}
