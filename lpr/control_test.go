package lpr

import (
	"strings"
	"testing"
)

func TestControlFile(t *testing.T) {
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{"pdf", Job{Number: 42, Host: "agent-1", User: "alice@acme.example", Name: "Q3.pdf", Format: "application/pdf"},
			"Hagent-1\nPalice@acme.example\nJQ3.pdf\nldfA042agent-1\nUdfA042agent-1\nNQ3.pdf\n"},
		{"text is formatted", Job{Number: 1, Host: "h", User: "bob", Name: "notes.txt", Format: "text/plain"},
			"Hh\nPbob\nJnotes.txt\nfdfA001h\nUdfA001h\nNnotes.txt\n"},
		{"banner", Job{Number: 1, Host: "h", User: "bob", Format: "application/postscript", Banner: true},
			"Hh\nPbob\nCh\nLbob\nldfA001h\nUdfA001h\n"},
		{"no user", Job{Number: 1, Host: "h"}, "Hh\nPedgeprint\nldfA001h\nUdfA001h\n"},
		{"injection", Job{Number: 1, Host: "h", User: "eve\nLroot", Name: "x\nUcfA001h"},
			"Hh\nPeve_Lroot\nJx_UcfA001h\nldfA001h\nUdfA001h\nNx_UcfA001h\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.job.ControlFile(tc.job.fileName("dfA"))); got != tc.want {
				t.Fatalf("control file\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestFileNames(t *testing.T) {
	tests := []struct {
		job  Job
		want string
	}{
		{Job{Number: 5, Host: "agent-1.acme.example"}, "cfA005agent-1.acme.example"},
		{Job{Number: 1234, Host: "a b/c"}, "cfA234abc"},
		{Job{Number: 0, Host: "/../"}, "cfA000.."},
		{Job{Number: 9, Host: ""}, "cfA009localhost"},
		{Job{Number: 9, Host: strings.Repeat("h", 64)}, "cfA009" + strings.Repeat("h", 31)},
	}
	for _, tc := range tests {
		if got := tc.job.fileName("cfA"); got != tc.want {
			t.Errorf("fileName(%+v) = %q, want %q", tc.job, got, tc.want)
		}
	}
}
