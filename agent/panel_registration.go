package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/edgeprint/edgeprint/eipauth"
)

// registrationEvery is how often the agent checks that every enabled
// printer has the current panel app registered; unchanged registrations
// cost no call.
const registrationEvery = 10 * time.Minute

// registrationsFile keeps, per printer id, the checksum of the panel app
// registration the agent put there, so a changed app replaces it.
const registrationsFile = "panel-registrations.json"

// registrationLoop keeps the panel app registered on the enabled printers
// (panel.app_url with panel.printer_admin) until ctx ends.
func (a *Agent) registrationLoop(ctx context.Context) error {
	t := time.NewTicker(registrationEvery)
	defer t.Stop()
	for {
		a.reconcileRegistrations(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (a *Agent) panelApp() eipauth.Registration {
	return eipauth.Registration{Name: a.cfg.Site + " Secure Print", URL: a.cfg.Panel.AppURL,
		Description: "Held jobs of the user logged in at this printer"}
}

// reconcileRegistrations puts the panel app on every enabled printer
// (replacing an older registration by its checksum) and deletes it from
// printers that were disabled.
func (a *Agent) reconcileRegistrations(ctx context.Context) {
	pc := a.panel.printer
	if pc == nil || a.cfg.Panel.AppURL == "" {
		return
	}
	sc, err := a.store.SiteConfig()
	if err != nil {
		a.log.Warn("panel registration: site configuration", "err", err)
		return
	}
	regs, err := a.loadRegistrations()
	if err != nil {
		a.log.Warn("panel registration", "err", err)
		return
	}
	app := a.panelApp()
	for _, p := range sc.Printers {
		if !p.Enabled {
			if sum, ok := regs[p.ID]; ok {
				if err := pc.Unregister(ctx, a.printerBase(p), sum); err != nil {
					a.log.Warn("panel app not unregistered", "printer", p.Name, "err", err)
					continue
				}
				delete(regs, p.ID)
				a.log.Info("panel app unregistered", "printer", p.Name)
			}
			continue
		}
		sum, err := pc.Register(ctx, a.printerBase(p), app, regs[p.ID])
		if sum != regs[p.ID] && sum != "" {
			regs[p.ID] = sum
			if err == nil {
				a.log.Info("panel app registered", "printer", p.Name, "checksum", sum)
			}
		}
		if err != nil {
			a.log.Warn("panel app registration", "printer", p.Name, "err", err)
		}
	}
	if err := a.saveRegistrations(regs); err != nil {
		a.log.Warn("panel registration", "err", err)
	}
}

func (a *Agent) loadRegistrations() (map[string]string, error) {
	regs := map[string]string{}
	data, err := os.ReadFile(filepath.Join(a.cfg.DataDir, registrationsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return regs, nil
	}
	if err != nil {
		return nil, err
	}
	return regs, json.Unmarshal(data, &regs)
}

func (a *Agent) saveRegistrations(regs map[string]string) error {
	data, _ := json.Marshal(regs)
	path := filepath.Join(a.cfg.DataDir, registrationsFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
