package agent

import (
	"errors"
	"fmt"

	"github.com/edgeprint/edgeprint/lpr"
)

// DeliveryConfig is how released jobs reach printers ("delivery" in the
// configuration file). Every key is optional.
type DeliveryConfig struct {
	// BlockReleaseOnPrinterError keeps jobs held, with the reason, while the
	// printer reports an error or is offline (checked before sending).
	// Default true.
	BlockReleaseOnPrinterError *bool `json:"block_release_on_printer_error,omitempty"`
	// Attempts is how many times a transient fault (refused, reset,
	// stalled) is retried in one release, with capped backoff. Default 3.
	Attempts int `json:"attempts,omitempty"`
	// PJLStatusReadBack asks raw 9100 printers for their PJL status before
	// a job and its end after it. Off by default: some printers' back
	// channel is slow or absent.
	PJLStatusReadBack bool `json:"pjl_status_read_back,omitempty"`
	// LPRSourcePorts: "any" (default), "prefer-privileged" (721–731 with
	// fallback) or "privileged".
	LPRSourcePorts string `json:"lpr_source_ports,omitempty"`
	// Ghostscript is the gs binary for printers that do not take PDF;
	// default "gs" on PATH.
	Ghostscript string `json:"ghostscript,omitempty"`
	// Printers holds per-printer settings, by printer id or name.
	Printers map[string]PrinterSettings `json:"printers,omitempty"`
}

// PrinterSettings are what the agent is told about a printer beyond the
// relay's record, until SNMP discovery reports it.
type PrinterSettings struct {
	// Formats are the document formats the printer takes (MIME types). A
	// PDF goes to a printer that lists formats but not PDF converted with
	// Ghostscript. Empty: unknown, documents are sent as they are.
	Formats []string `json:"formats,omitempty"`
	// Model picks the PJL quirks (raw9100.QuirksFor).
	Model string `json:"model,omitempty"`
	// LPRControlFirst sends the LPR control file before the data file.
	LPRControlFirst bool `json:"lpr_control_first,omitempty"`
	// LPRBanner asks an LPR queue for a banner page naming the user.
	LPRBanner bool `json:"lpr_banner,omitempty"`
}

// defaultAttempts is tries per release for transient faults.
const defaultAttempts = 3

func (c DeliveryConfig) blockOnError() bool {
	return c.BlockReleaseOnPrinterError == nil || *c.BlockReleaseOnPrinterError
}

func (c DeliveryConfig) attempts() int {
	if c.Attempts <= 0 {
		return defaultAttempts
	}
	return c.Attempts
}

// settings returns a printer's settings, by id first, then by name.
func (c DeliveryConfig) settings(p Printer) PrinterSettings {
	if s, ok := c.Printers[p.ID]; ok {
		return s
	}
	return c.Printers[p.Name]
}

// validate reports every problem in the delivery section.
func (c DeliveryConfig) validate() error {
	var errs []error
	if c.Attempts < 0 || c.Attempts > 20 {
		errs = append(errs, fmt.Errorf("delivery.attempts %d is not between 1 and 20", c.Attempts))
	}
	if _, err := lpr.ParseSourcePorts(c.LPRSourcePorts); err != nil {
		errs = append(errs, fmt.Errorf("delivery.lpr_source_ports: %q is not any, prefer-privileged or privileged", c.LPRSourcePorts))
	}
	return errors.Join(errs...)
}
