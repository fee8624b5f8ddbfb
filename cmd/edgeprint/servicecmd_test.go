package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServiceCommandLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.json")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no action", []string{"service"}, "no action given"},
		{"unknown action", []string{"service", "frobnicate"}, `unknown action "frobnicate"`},
		{"install without registration flags", []string{"service", "install", "--config", cfg}, "are required"},
		{"stray argument", []string{"service", "status", "extra"}, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tc.args, strings.NewReader(""), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	// A refused install leaves nothing behind.
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Fatalf("refused install wrote %s", cfg)
	}
}
