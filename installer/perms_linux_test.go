package installer

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSecure(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	os.MkdirAll(filepath.Join(data, "spool"), 0o755)
	os.WriteFile(filepath.Join(data, "identity.json"), []byte("{}"), 0o644)
	cfg := filepath.Join(root, "etc", "agent.json")
	if _, err := WriteDefaultConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if err := Secure(data, cfg); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want os.FileMode
	}{
		{data, 0o700},
		{filepath.Join(data, "spool"), 0o700},
		{filepath.Join(data, "identity.json"), 0o600},
		{cfg, 0o640},
		{filepath.Dir(cfg), 0o750},
	}
	for _, tc := range tests {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("%s: mode %o, want %o", tc.path, got, tc.want)
		}
	}
}
