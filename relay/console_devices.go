package relay

import (
	"context"
	"net/http"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

type printersData struct {
	Printers []printerCard
	Sites    []store.Site
}

func (s *Server) printersPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	cards, err := s.printerCards(r, c.company.ID, s.anyAgentOnline(r.Context(), c.company.ID))
	if err != nil {
		return err
	}
	sites, err := s.store.Sites(r.Context(), c.company.ID)
	if err != nil {
		return err
	}
	return s.show(w, c, "admin_printers.html", "printers", printersData{Printers: cards, Sites: sites})
}

func (s *Server) anyAgentOnline(ctx context.Context, companyID string) bool {
	return len(s.hub.connected(ctx, companyID)) > 0
}

// printerForm renames a printer, assigns its site and enables or
// disables it; the checkbox is absent from a form when unticked.
func (s *Server) printerForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	f := r.PostForm
	name, site, enabled := f.Get("name"), f.Get("site_id"), f.Get("enabled") == "on"
	ch := printerChange{Enabled: &enabled, SiteID: &site}
	if f.Has("name") {
		ch.Name = &name
	}
	p, err := s.changePrinter(r.Context(), c.company.ID, c.user.ID, r.PathValue("id"), ch)
	if err != nil {
		return err
	}
	c.notice = "Saved " + p.Name + "."
	return nil
}

func (s *Server) addSiteForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	st, err := s.addSite(r.Context(), c.company.ID, c.user.ID, r.PostForm.Get("name"))
	if err != nil {
		return err
	}
	c.notice = "Added site " + st.Name + "."
	return nil
}

type readersData struct {
	Readers  []readerView
	Printers []store.Printer
	Models   []string
}

func (s *Server) readersPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	ctx := r.Context()
	printers, err := s.store.Printers(ctx, c.company.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, p := range printers {
		names[p.ID] = p.Name
	}
	readers, err := s.store.Readers(ctx, c.company.ID)
	if err != nil {
		return err
	}
	d := readersData{Printers: printers, Models: []string{store.ReaderElatecTCPConv, store.ReaderElatecTCPConv2, store.ReaderRFIDeas241}}
	for _, rd := range readers {
		d.Readers = append(d.Readers, readerView{Reader: rd, Printer: names[rd.PrinterID]})
	}
	return s.show(w, c, "admin_readers.html", "readers", d)
}

// addReaderForm maps a reader's address to a printer.
func (s *Server) addReaderForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	f := r.PostForm
	rd, err := s.addReader(r, c.company.ID, readerRequest{Model: f.Get("model"), Address: f.Get("address"), PrinterID: f.Get("printer_id")})
	if err != nil {
		return err
	}
	s.auditAdmin(r.Context(), c.company.ID, c.user.ID, "reader "+rd.Address+" mapped to printer "+rd.PrinterID)
	c.notice = "Reader " + rd.Address + " added."
	return nil
}

// addReader validates and stores a reader as POST /api/v1/readers does.
func (s *Server) addReader(r *http.Request, companyID string, req readerRequest) (store.Reader, error) {
	switch req.Model {
	case store.ReaderElatecTCPConv, store.ReaderElatecTCPConv2, store.ReaderRFIDeas241:
	default:
		return store.Reader{}, badRequest("model must be %q, %q or %q", store.ReaderElatecTCPConv, store.ReaderElatecTCPConv2, store.ReaderRFIDeas241)
	}
	addr, err := cleanHost("address", req.Address)
	if err != nil {
		return store.Reader{}, err
	}
	if req.PrinterID == "" {
		return store.Reader{}, badRequest("choose a printer")
	}
	rd := store.Reader{ID: newID(), CompanyID: companyID, Model: req.Model, Address: addr, PrinterID: req.PrinterID, Created: time.Now().UTC()}
	if err := s.store.CreateReader(r.Context(), rd); err != nil {
		if err == store.ErrNotFound {
			return rd, badRequest("no such printer")
		}
		return rd, err
	}
	s.configChanged(companyID)
	return rd, nil
}

type agentsData struct {
	Agents  []agentResponse
	NewCode *activationCodeResponse
}

func (s *Server) agentsPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	agents, err := s.store.Agents(r.Context(), c.company.ID)
	if err != nil {
		return err
	}
	d, _ := c.pageData.(agentsData)
	connected := s.hub.connected(r.Context(), c.company.ID)
	for _, a := range agents {
		d.Agents = append(d.Agents, agentResponse{ID: a.ID, Name: a.Name, Version: a.Version,
			Registered: a.Registered, LastSeen: a.LastSeen, Connected: connected[a.ID]})
	}
	return s.show(w, c, "admin_agents.html", "agents", d)
}

// activationCodeForm makes a code valid for 24 hours and shows it once.
func (s *Server) activationCodeForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	now := time.Now().UTC()
	code := newActivationCode()
	ac := store.ActivationCode{Hash: hashSecret(normalizeActivationCode(code)), CompanyID: c.company.ID, Created: now,
		Expires: now.Add(defaultCodeTTLHours * time.Hour).Truncate(time.Second)}
	if err := s.store.CreateActivationCode(r.Context(), ac); err != nil {
		return err
	}
	s.auditAdmin(r.Context(), c.company.ID, c.user.ID, "activation code created")
	c.pageData = agentsData{NewCode: &activationCodeResponse{Code: code, Expires: ac.Expires}}
	return nil
}
