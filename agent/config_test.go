package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, json, wantErr string
	}{
		{"defaults filled in", `{"data_dir": "` + dir + `"}`, ""},
		{"unknown key", `{"data_dir": "` + dir + `", "ipp": {"lisen": ":631"}}`, `unknown field "lisen"`},
		{"relative data dir", `{"data_dir": "data"}`, "absolute path"},
		{"bad listen", `{"data_dir": "` + dir + `", "card_readers": {"elatec_tcpconv": "7778"}}`, "card_readers.elatec_tcpconv"},
		{"reader off", `{"data_dir": "` + dir + `", "card_readers": {"rfideas_241": "off"}}`, ""},
		{"ipp off", `{"data_dir": "` + dir + `", "ipp": {"listen": "off"}}`, "cannot be off"},
		{"bad level", `{"data_dir": "` + dir + `", "log": {"level": "loud"}}`, "log.level"},
		{"trailing junk", `{"data_dir": "` + dir + `"} {}`, "trailing data"},
		{"panel off", `{"data_dir": "` + dir + `", "panel": {"convenience_auth_listen": "off", "sso_listen": "off"}}`, ""},
		{"bad panel listen", `{"data_dir": "` + dir + `", "panel": {"sso_listen": "15043"}}`, "panel.sso_listen"},
		{"relative panel path", `{"data_dir": "` + dir + `", "panel": {"path": "convauth"}}`, "panel.path"},
		{"half a certificate", `{"data_dir": "` + dir + `", "ipp": {"cert_file": "/x.crt"}}`, "go together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "agent.json")
			os.WriteFile(p, []byte(tc.json), 0o600)
			cfg, err := LoadConfig(p)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.IPP.Listen != ":631" || cfg.Admin.Listen != "127.0.0.1:9631" {
					t.Fatalf("defaults not applied: %+v", cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestPanelConfig(t *testing.T) {
	admin := &PrinterAdminConfig{Username: "admin", Password: "pw"}
	tests := []struct {
		name    string
		c       PanelConfig
		wantErr string
	}{
		{"defaults", defaultPanelConfig(), ""},
		{"app without admin", PanelConfig{ConvenienceAuthListen: Off, SSOListen: Off, Path: "/c", AppURL: "https://x/app"}, "needs panel.printer_admin"},
		{"app over http", PanelConfig{ConvenienceAuthListen: Off, SSOListen: Off, Path: "/c", AppURL: "http://x/app", PrinterAdmin: admin}, "https URL"},
		{"admin without password", PanelConfig{ConvenienceAuthListen: Off, SSOListen: Off, Path: "/c", PrinterAdmin: &PrinterAdminConfig{Username: "a"}}, "username and password"},
		{"bad override_from", PanelConfig{ConvenienceAuthListen: Off, SSOListen: Off, Path: "/c", OverrideFrom: []string{"10.0.0.0/33"}}, "override_from"},
		{"override_from", PanelConfig{ConvenienceAuthListen: Off, SSOListen: Off, Path: "/c", OverrideFrom: []string{"10.0.0.0/8", "192.0.2.1"}}, ""},
		{"app with admin", PanelConfig{ConvenienceAuthListen: Off, SSOListen: Off, Path: "/c", AppURL: "https://x/app", PrinterAdmin: admin}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := errors.Join(tc.c.validate()...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
