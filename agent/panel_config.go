package agent

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/edgeprint/edgeprint/eipauth"
)

// PanelConfig is printer panel login (eipauth): Convenience Authentication
// for MFPs and single sign-on for their panel apps, both HTTPS with the
// agent's certificate.
type PanelConfig struct {
	ConvenienceAuthListen string `json:"convenience_auth_listen"` // default :15042; "off"
	SSOListen             string `json:"sso_listen"`              // default :15043; "off"
	// Path is where printers post; /public/dce/xeroxvalidation/convauth,
	// the Xerox default, is always served too. Default /convauth.
	Path string `json:"path"`
	// Title and Prompt are shown on the blocking screen.
	Title  string `json:"title,omitempty"`
	Prompt string `json:"prompt,omitempty"`
	// AutoRelease overrides the company's auto_release setting for this
	// site when set: true sends a user's held jobs on panel login.
	AutoRelease *bool `json:"auto_release,omitempty"`
	// PrinterAdmin enables the agent's calls to printers (panel_printer.go).
	PrinterAdmin *PrinterAdminConfig `json:"printer_admin,omitempty"`
	// OverrideFrom are the addresses or CIDR ranges (a NAT gateway, a
	// proxy) allowed to name the printer with X-Edgeprint-Printer or
	// PrinterId; loopback only when empty.
	OverrideFrom []string `json:"override_from,omitempty"`
	// AppURL is the panel app the agent registers on every enabled printer
	// (needs PrinterAdmin); a changed URL replaces the registration.
	AppURL string `json:"app_url,omitempty"`
}

func defaultPanelConfig() PanelConfig {
	return PanelConfig{ConvenienceAuthListen: ":15042", SSOListen: ":15043", Path: eipauth.DefaultPath}
}

// overrideFrom parses OverrideFrom; nil when empty (loopback only).
func (c PanelConfig) overrideFrom() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.OverrideFrom {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("panel.override_from: %q is not an address or CIDR range", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

func (c PanelConfig) validate() []error {
	var errs []error
	if err := checkListen(c.ConvenienceAuthListen); err != nil {
		errs = append(errs, fmt.Errorf("panel.convenience_auth_listen: %w", err))
	}
	if err := checkListen(c.SSOListen); err != nil {
		errs = append(errs, fmt.Errorf("panel.sso_listen: %w", err))
	}
	if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, " {}") {
		errs = append(errs, errors.New("panel.path must be an absolute URL path"))
	}
	if _, err := c.overrideFrom(); err != nil {
		errs = append(errs, err)
	}
	if c.AppURL != "" {
		if u, err := url.Parse(c.AppURL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, errors.New("panel.app_url must be an https URL"))
		}
		if c.PrinterAdmin == nil {
			errs = append(errs, errors.New("panel.app_url needs panel.printer_admin to register the app"))
		}
	}
	return append(errs, c.PrinterAdmin.validate()...)
}
