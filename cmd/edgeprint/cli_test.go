package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	good := write("good.json", `{"data_dir": "`+dir+`", "site": "HQ", "ipp": {"listen": "127.0.0.1:8631"}}`)
	typo := write("typo.json", `{"data_dir": "`+dir+`", "stie": "HQ"}`)
	badAdmin := write("admin.json", `{"data_dir": "`+dir+`", "admin": {"listen": "0.0.0.0:9631"}}`)

	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"version", []string{"version"}, "", "edgeprint "},
		{"no command", nil, "no command", ""},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`, ""},
		{"check good config", []string{"agent", "check", "--config", good}, "", "configuration is valid"},
		{"check unknown key", []string{"agent", "check", "--config", typo}, `unknown field "stie"`, ""},
		{"check public admin port", []string{"agent", "check", "--config", badAdmin}, "must be a loopback address", ""},
		{"register without flags", []string{"agent", "register"}, "are required", ""},
		{"agent not registered", []string{"agent", "--config", good}, "not registered", ""},
		{"relay init without flags", []string{"relay", "init"}, "are required", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tc.args, strings.NewReader(""), &out, &errOut)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("error %v\n%s", err, errOut.String())
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Fatalf("output %q lacks %q", out.String(), tc.wantOut)
			}
		})
	}
}
