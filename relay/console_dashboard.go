package relay

import (
	"net/http"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

type printerCard struct {
	store.Printer
	Site     string
	Status   statusBadge
	Supplies []gauge
}

type dashboardData struct {
	Held, PrintedToday, Users int
	AgentsOnline, Agents      int
	PrintersEnabled, Printers int
	RefusedLogins             int // in the last 24 hours
	PrinterCards              []printerCard
	Chart                     volumeChart
}

// dashboardPage is what an admin glances at: counts, each printer's state
// and toner as gauges, and the job volume of the last two weeks.
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	ctx := r.Context()
	id := c.company.ID
	d := dashboardData{}
	jobs, err := s.store.Jobs(ctx, id, store.JobFilter{})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	for _, j := range jobs {
		if j.State == store.JobHeld {
			d.Held++
		}
		if j.State == store.JobPrinted && !j.Printed.Before(today) {
			d.PrintedToday++
		}
	}
	d.Chart = newVolumeChart(jobVolume(jobs, chartDays, now))
	users, err := s.store.Users(ctx, id)
	if err != nil {
		return err
	}
	d.Users = len(users)
	refused, err := s.store.Events(ctx, id, store.EventFilter{Kind: store.EventLogin, Outcome: store.OutcomeRefused, Since: now.Add(-24 * time.Hour)})
	if err != nil {
		return err
	}
	d.RefusedLogins = len(refused)
	agents, err := s.store.Agents(ctx, id)
	if err != nil {
		return err
	}
	d.Agents = len(agents)
	connected := s.hub.connected(ctx, id)
	for _, a := range agents {
		if connected[a.ID] {
			d.AgentsOnline++
		}
	}
	if d.PrinterCards, err = s.printerCards(r, id, d.AgentsOnline > 0); err != nil {
		return err
	}
	d.Printers = len(d.PrinterCards)
	for _, p := range d.PrinterCards {
		if p.Enabled {
			d.PrintersEnabled++
		}
	}
	return s.show(w, c, "admin_dashboard.html", "dashboard", d)
}

func (s *Server) printerCards(r *http.Request, companyID string, agentOnline bool) ([]printerCard, error) {
	printers, err := s.store.Printers(r.Context(), companyID)
	if err != nil {
		return nil, err
	}
	sites, err := s.store.Sites(r.Context(), companyID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, st := range sites {
		names[st.ID] = st.Name
	}
	out := make([]printerCard, 0, len(printers))
	for _, p := range printers {
		out = append(out, printerCard{Printer: p, Site: names[p.SiteID], Status: printerStatus(p, agentOnline), Supplies: printerSupplies(p)})
	}
	return out, nil
}
