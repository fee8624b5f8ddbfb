package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/edgeprint/edgeprint/eipauth"
)

// panelQueue bounds panel work waiting for the worker (auto-releases,
// calls to printers); a login beyond it is still accepted, its jobs stay
// held.
const panelQueue = 64

// panel is the agent's printer panel login: the eipauth service, its two
// listeners, the client for calls to printers and the worker's queue.
type panel struct {
	svc     *eipauth.Service
	convLn  net.Listener           // nil when off
	ssoLn   net.Listener           // nil when off
	printer *eipauth.PrinterClient // nil without panel.printer_admin
	work    chan func(context.Context)
}

// openPanel builds the eipauth service and binds its listeners.
func (a *Agent) openPanel() error {
	cfg := a.cfg.Panel
	b := panelBackend{a}
	a.panel.work = make(chan func(context.Context), panelQueue)
	overrideFrom, err := cfg.overrideFrom()
	if err != nil {
		return err
	}
	if a.panel.printer, err = newPrinterClient(cfg.PrinterAdmin); err != nil {
		return err
	}
	a.panel.svc = eipauth.New(eipauth.Config{
		Printers: b, Authenticator: b, Cards: b, Jobs: b, Releaser: b,
		Title: cfg.Title, Prompt: cfg.Prompt,
		OverrideFrom: overrideFrom,
		PortalURL:    a.id.RelayURL,
		Metrics:      eipauth.NewMetrics(a.registry),
		Audit:        a.audit,
		Logger:       a.log.With("component", "panel"),
	})
	if cfg.ConvenienceAuthListen != Off {
		if a.panel.convLn, err = net.Listen("tcp", cfg.ConvenienceAuthListen); err != nil {
			return fmt.Errorf("agent: convenience authentication: %w", err)
		}
	}
	if cfg.SSOListen != Off {
		if a.panel.ssoLn, err = net.Listen("tcp", cfg.SSOListen); err != nil {
			return fmt.Errorf("agent: sso: %w", err)
		}
	}
	return nil
}

// panelServices are the panel's parts of the services slice.
func (a *Agent) panelServices() []service {
	log := a.log.With("component", "panel")
	var s []service
	if ln := a.panel.convLn; ln != nil {
		h := a.panel.svc.ConvAuthHandler(a.cfg.Panel.Path)
		s = append(s, service{"convenience authentication", func(ctx context.Context) error {
			return eipauth.Serve(ctx, ln, a.tls, h, log)
		}})
	}
	if ln := a.panel.ssoLn; ln != nil {
		h := a.panel.svc.SSOHandler()
		s = append(s, service{"sso", func(ctx context.Context) error {
			return eipauth.Serve(ctx, ln, a.tls, h, log)
		}})
	}
	s = append(s, service{"panel worker", a.panelWorker})
	if a.panel.printer != nil && a.cfg.Panel.AppURL != "" {
		s = append(s, service{"panel app registration", a.registrationLoop})
	}
	return s
}

func (a *Agent) closePanel() {
	for _, ln := range []net.Listener{a.panel.convLn, a.panel.ssoLn} {
		if ln != nil {
			ln.Close()
		}
	}
}

// ConvenienceAuthURL is the Convenience Authentication endpoint, "" if off.
func (a *Agent) ConvenienceAuthURL() string {
	if a.panel.convLn == nil {
		return ""
	}
	return "https://" + a.advertisedAddr(a.panel.convLn) + a.cfg.Panel.Path
}

// SSOURL is the SSO service's base URL, "" if off.
func (a *Agent) SSOURL() string {
	if a.panel.ssoLn == nil {
		return ""
	}
	return "https://" + a.advertisedAddr(a.panel.ssoLn)
}

func (a *Agent) panelListeners() []Listener {
	var out []Listener
	if ln := a.panel.convLn; ln != nil {
		out = append(out, Listener{"convenience authentication", ln.Addr().String()})
	}
	if ln := a.panel.ssoLn; ln != nil {
		out = append(out, Listener{"panel sso", ln.Addr().String()})
	}
	return out
}

// Panel is the agent's panel login service (status and tests).
func (a *Agent) Panel() *eipauth.Service { return a.panel.svc }

// panelWorker runs queued panel work (auto-releases, calls to printers)
// one at a time until ctx ends.
func (a *Agent) panelWorker(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-a.panel.work:
			f(ctx)
		}
	}
}

// queuePanel queues f for the worker; false when the queue is full.
func (a *Agent) queuePanel(f func(context.Context)) bool {
	select {
	case a.panel.work <- f:
		return true
	default:
		return false
	}
}

func (a *Agent) releaseAll(ctx context.Context, u eipauth.User, ep eipauth.Printer) {
	log := a.log.With("component", "panel", "printer", ep.Name, "user", u.Email)
	p, err := a.printerByID(ep.ID)
	if err != nil {
		log.Warn("auto-release", "err", err)
		return
	}
	jobs, err := a.heldJobsOf(ctx, User{ID: u.ID, Email: u.Email, Name: u.Name})
	if err != nil {
		log.Warn("could not list held jobs at the relay; releasing local ones", "err", err)
	}
	log.Info("auto-release", "jobs", len(jobs))
	for _, j := range jobs {
		if err := a.release(ctx, j, p); err != nil {
			log.Error("job not printed, still held", "job", j.ID, "err", err)
		}
	}
}

func (a *Agent) printerByID(id string) (Printer, error) {
	sc, err := a.store.SiteConfig()
	if err != nil {
		return Printer{}, err
	}
	for _, p := range sc.Printers {
		if p.ID == id && p.Enabled {
			return p, nil
		}
	}
	return Printer{}, eipauth.ErrUnknownPrinter
}

// AutoReleaseOn reports whether a panel login sends the user's held jobs
// (status and tests).
func (a *Agent) AutoReleaseOn() bool { return a.autoReleaseOn() }

// autoReleaseOn is the site's override, else the company's setting.
func (a *Agent) autoReleaseOn() bool {
	if o := a.cfg.Panel.AutoRelease; o != nil {
		return *o
	}
	sc, err := a.store.SiteConfig()
	return err == nil && sc.Company.AutoRelease
}

// serveUnlock is the relay's POST /relay/v1/unlock: a portal user entered
// a printer's unlock code (docs/agent-protocol.md).
func (a *Agent) serveUnlock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PrinterID string `json:"printer_id"`
		Code      string `json:"code"`
		User      User   `json:"user"`
		Remote    string `json:"remote"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err != nil || req.PrinterID == "" || req.Code == "" || req.User.ID == "" {
		http.Error(w, `{"error":"printer_id, code and user are required"}`, http.StatusBadRequest)
		return
	}
	u := eipauth.User{ID: req.User.ID, Email: req.User.Email, Name: req.User.Name}
	err = a.panel.svc.Unlock(req.PrinterID, req.Code, u, req.Remote)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case err == nil:
		a.pushLogin(req.PrinterID, u)
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, eipauth.ErrUnknownPrinter):
		http.Error(w, `{"error":"this agent does not serve that printer"}`, http.StatusNotFound)
	case errors.Is(err, eipauth.ErrRateLimited):
		http.Error(w, `{"error":"too many attempts"}`, http.StatusTooManyRequests)
	case errors.Is(err, eipauth.ErrNoSession):
		http.Error(w, `{"error":"the printer is not waiting for a login"}`, http.StatusConflict)
	default:
		http.Error(w, `{"error":"wrong code"}`, http.StatusForbidden)
	}
}

// panelBackend is what eipauth needs from the agent.
type panelBackend struct{ a *Agent }

func (b panelBackend) PrinterFor(key string) (eipauth.Printer, error) {
	if ip := net.ParseIP(key); ip != nil {
		key = ip.String() // ::ffff:10.0.0.5 → 10.0.0.5
	}
	sc, err := b.a.store.SiteConfig()
	if err != nil {
		return eipauth.Printer{}, err
	}
	for _, p := range sc.Printers {
		if p.Enabled && (p.ID == key || p.Address == key) {
			return eipauth.Printer{ID: p.ID, Name: p.Name, Address: p.Address}, nil
		}
	}
	return eipauth.Printer{}, eipauth.ErrUnknownPrinter
}

// Authenticate is the print queue's check (relay account or LDAP through
// the relay), without its audit line: eipauth audits panel logins.
func (b panelBackend) Authenticate(ctx context.Context, username, password string) (eipauth.User, error) {
	u, err := b.a.relay.authenticate(ctx, username, password)
	if errors.Is(err, errRejected) || errors.Is(err, errNotFound) {
		return eipauth.User{}, eipauth.ErrDenied
	}
	if err != nil {
		return eipauth.User{}, err
	}
	return eipauth.User{ID: u.ID, Email: u.Email, Name: u.Name}, nil
}

// CardOwner resolves a badge as a reader swipe does (cardOwnerFast), with
// the unknown card told apart.
func (b panelBackend) CardOwner(ctx context.Context, card string) (eipauth.User, error) {
	u, err := b.a.cardOwnerFast(ctx, card)
	if errors.Is(err, errUnknownCard) {
		return eipauth.User{}, eipauth.ErrDenied
	}
	if err != nil {
		return eipauth.User{}, err
	}
	return eipauth.User{ID: u.ID, Email: u.Email, Name: u.Name}, nil
}

func (b panelBackend) Jobs(ctx context.Context, u eipauth.User) ([]eipauth.Job, error) {
	held, err := b.a.heldJobsOf(ctx, User{ID: u.ID, Email: u.Email, Name: u.Name})
	if err != nil && len(held) == 0 {
		return nil, err
	}
	out := make([]eipauth.Job, 0, len(held))
	for _, j := range held {
		job := eipauth.Job{ID: j.ID, Name: j.Name, Format: j.Format}
		if j.local != nil {
			job.Size, job.Created = j.local.Size, j.local.Created
		}
		out = append(out, job)
	}
	return out, nil
}

func (b panelBackend) job(ctx context.Context, u eipauth.User, id string) (heldJob, error) {
	held, err := b.a.heldJobsOf(ctx, User{ID: u.ID, Email: u.Email, Name: u.Name})
	for _, j := range held {
		if j.ID == id {
			return j, nil
		}
	}
	if err != nil {
		return heldJob{}, err
	}
	return heldJob{}, eipauth.ErrDenied
}

func (b panelBackend) Release(ctx context.Context, u eipauth.User, ep eipauth.Printer, id string) error {
	j, err := b.job(ctx, u, id)
	if err != nil {
		return err
	}
	p, err := b.a.printerByID(ep.ID)
	if err != nil {
		return err
	}
	// A panel app that gives up waiting must not cut a job off halfway
	// through the printer: release bounds itself with sendTimeout.
	return b.a.release(context.WithoutCancel(ctx), j, p)
}

// Delete forgets the job here and reports it deleted to the relay, which
// drops its document.
func (b panelBackend) Delete(ctx context.Context, u eipauth.User, id string) error {
	j, err := b.job(ctx, u, id)
	if err != nil {
		return err
	}
	if !b.a.claim(j.ID) {
		return fmt.Errorf("agent: job %s is being printed", j.ID)
	}
	defer b.a.unclaim(j.ID)
	if err := b.a.store.FinishJob(StateReport{JobID: j.ID, State: "deleted", Reason: "deleted by its owner at the printer"}); err != nil {
		return err
	}
	if j.local != nil {
		if err := b.a.docs.Remove(j.ID); err != nil {
			b.a.log.Warn("remove deleted document", "job", j.ID, "err", err)
		}
	}
	b.a.log.Info("job deleted by its owner", "job", j.ID, "user", u.Email)
	b.a.kick(b.a.reportKick)
	return nil
}

// AutoRelease queues the user's jobs for the printer when auto-release is
// on; the login answer does not wait for them.
func (b panelBackend) AutoRelease(u eipauth.User, p eipauth.Printer) {
	if !b.a.autoReleaseOn() {
		return
	}
	if !b.a.queuePanel(func(ctx context.Context) { b.a.releaseAll(ctx, u, p) }) {
		b.a.log.Warn("panel queue full; jobs stay held", "printer", p.Name, "user", u.Email)
	}
}
