package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/edgeprint/edgeprint/eipauth"
)

// PrinterAdminConfig are the printers' admin credentials for the agent's
// calls to them (InitiateLogin after an unlock code, ForceLogout), sent in
// a WS-Security UsernameToken over HTTPS.
type PrinterAdminConfig struct {
	Username string `json:"username"`
	Password Secret `json:"password"`
	// Port of the printers' HTTPS web services; default 443.
	Port int `json:"port,omitempty"`
	// CAFile verifies the printers' certificates; the system roots when
	// empty. The password is never sent to an unverified printer.
	CAFile string `json:"ca_file,omitempty"`
}

func (c *PrinterAdminConfig) validate() []error {
	if c == nil {
		return nil
	}
	var errs []error
	if c.Username == "" || c.Password == "" {
		errs = append(errs, errors.New("panel.printer_admin needs username and password"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("panel.printer_admin.port %d is not a port", c.Port))
	}
	return errs
}

func newPrinterClient(c *PrinterAdminConfig) (*eipauth.PrinterClient, error) {
	if c == nil {
		return nil, nil
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("agent: panel.printer_admin.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("agent: panel.printer_admin.ca_file %s has no certificate", c.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	return &eipauth.PrinterClient{
		HTTP:     &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}},
		Username: c.Username,
		Password: c.Password.Reveal(),
	}, nil
}

// printerBase is the printer's web services base URL.
func (a *Agent) printerBase(p Printer) string {
	port := 443
	if pa := a.cfg.Panel.PrinterAdmin; pa != nil && pa.Port != 0 {
		port = pa.Port
	}
	return "https://" + net.JoinHostPort(p.Address, strconv.Itoa(port))
}

// pushLogin tells the printer to log u in now, after u entered its unlock
// code, so the panel need not wait for its next poll. Best effort: the
// poll accepts u anyway.
func (a *Agent) pushLogin(printerID string, u eipauth.User) {
	pc := a.panel.printer
	if pc == nil {
		return
	}
	a.queuePanel(func(ctx context.Context) {
		p, err := a.printerByID(printerID)
		if err != nil {
			return
		}
		if err := pc.InitiateLogin(ctx, a.printerBase(p), "", u); err != nil {
			a.log.Warn("push login to the printer", "printer", p.Name, "err", err)
		}
	})
}

// serveForceLogout is the relay's POST /relay/v1/panel/logout: an admin
// ends whatever session the printer's panel has. The agent's session ends
// (its SSO tokens with it) and, with printer_admin set, the printer is told.
func (a *Agent) serveForceLogout(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PrinterID string `json:"printer_id"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err != nil || req.PrinterID == "" {
		http.Error(w, `{"error":"printer_id is required"}`, http.StatusBadRequest)
		return
	}
	p, err := a.printerByID(req.PrinterID)
	if err != nil {
		http.Error(w, `{"error":"this agent does not serve that printer"}`, http.StatusNotFound)
		return
	}
	if err := a.panel.svc.ForceLogout(p.ID); err != nil && !errors.Is(err, eipauth.ErrNoSession) {
		http.Error(w, `{"error":"logout failed"}`, http.StatusInternalServerError)
		return
	}
	if pc := a.panel.printer; pc != nil {
		if err := pc.ForceLogout(r.Context(), a.printerBase(p)); err != nil {
			a.log.Warn("push logout to the printer", "printer", p.Name, "err", err)
			http.Error(w, `{"error":"the printer did not take the logout"}`, http.StatusBadGateway)
			return
		}
	}
	a.log.Info("panel logout forced", "printer", p.Name)
	w.WriteHeader(http.StatusNoContent)
}
