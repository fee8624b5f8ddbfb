package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeliveryConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, delivery, wantErr string
		block                   bool
		attempts                int
	}{
		{"defaults", `{}`, "", true, defaultAttempts},
		{"block off", `{"block_release_on_printer_error": false}`, "", false, defaultAttempts},
		{"everything", `{"attempts": 5, "pjl_status_read_back": true, "lpr_source_ports": "prefer-privileged",
			"ghostscript": "/usr/bin/gs", "printers": {"Floor 2": {"formats": ["application/postscript"], "model": "HP LaserJet 4", "lpr_control_first": true}}}`,
			"", true, 5},
		{"bad source ports", `{"lpr_source_ports": "low"}`, "delivery.lpr_source_ports", true, 0},
		{"too many attempts", `{"attempts": 100}`, "delivery.attempts", true, 0},
		{"unknown key", `{"printers": {"x": {"format": ["a"]}}}`, `unknown field "format"`, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "agent.json")
			os.WriteFile(p, []byte(`{"data_dir": "`+dir+`", "delivery": `+tc.delivery+`}`), 0o600)
			cfg, err := LoadConfig(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Delivery.blockOnError() != tc.block || cfg.Delivery.attempts() != tc.attempts {
				t.Fatalf("block %v attempts %d", cfg.Delivery.blockOnError(), cfg.Delivery.attempts())
			}
		})
	}
}

func TestPrinterSettingsByIDThenName(t *testing.T) {
	c := DeliveryConfig{Printers: map[string]PrinterSettings{
		"p1":      {Model: "by id"},
		"Floor 2": {Model: "by name"},
	}}
	if got := c.settings(Printer{ID: "p1", Name: "Floor 2"}).Model; got != "by id" {
		t.Fatalf("got %q", got)
	}
	if got := c.settings(Printer{ID: "p9", Name: "Floor 2"}).Model; got != "by name" {
		t.Fatalf("got %q", got)
	}
}
