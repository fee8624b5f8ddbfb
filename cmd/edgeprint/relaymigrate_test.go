package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/relay"
)

func TestRelayMigrateCommandLine(t *testing.T) {
	dir := t.TempDir()
	if _, err := relay.Init(t.Context(), dir, relay.InitOptions{CompanyCode: "ACME", CompanyName: "Acme", AdminEmail: "a@acme.example"}); err != nil {
		t.Fatal(err)
	}
	srv, err := relay.New(relay.Config{Listen: "127.0.0.1:0", DataDir: dir, AdminListen: "off"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no target", []string{"relay", "migrate", "--data-dir", dir}, "--to must be a postgres:// URL"},
		{"not postgres", []string{"relay", "migrate", "--data-dir", dir, "--to", "mysql://x/y"}, "--to must be a postgres:// URL"},
		{"not a data dir", []string{"relay", "migrate", "--data-dir", t.TempDir(), "--to", "postgres://127.0.0.1:1/x"}, "is not a relay data dir"},
		{"relay running", []string{"relay", "migrate", "--data-dir", dir, "--to", "postgres://127.0.0.1:1/x"}, "stop the relay first"},
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
}
