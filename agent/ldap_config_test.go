package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigLDAP(t *testing.T) {
	dir := t.TempDir()
	acme := `{"domains":["acme.example","ACME"],"servers":["ldap://dc1.acme.example"],"starttls":true,"base_dn":"dc=acme,dc=example",` +
		`"bind_dn":"cn=svc,dc=acme,dc=example","bind_password":"svc-pw","op_timeout":"2s"}`
	tests := []struct {
		name, ldap, wantErr string
	}{
		{"one directory", `[` + acme + `]`, ""},
		{"unknown key", `[{"domains":["a.example"],"servers":["ldap://x"],"base_dn":"dc=a","sever":"x"}]`, `unknown field "sever"`},
		{"no servers", `[{"domains":["a.example"],"base_dn":"dc=a"}]`, "ldap[0]: servers"},
		{"domain twice", `[` + acme + `,` + strings.Replace(acme, `"acme.example",`, "", 1) + `]`, `domain "ACME" is served by an earlier directory`},
		{"bad timeout", `[{"domains":["a.example"],"servers":["ldap://x"],"base_dn":"dc=a","op_timeout":5}]`, "duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "agent.json")
			os.WriteFile(p, []byte(`{"data_dir":"`+dir+`","ldap":`+tc.ldap+`}`), 0o600)
			cfg, err := LoadConfig(p)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(cfg.LDAP) != 1 || cfg.LDAP[0].BindPassword.Reveal() != "svc-pw" {
					t.Fatalf("ldap section: %+v", cfg.LDAP)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
