package installer

import (
	"context"
	"path/filepath"
)

// Secure applies SecurePlan to the data directory and the configuration's
// directory when it is another one.
func Secure(dataDir, configPath string) error {
	p := SecurePlan(dataDir)
	if d := filepath.Dir(configPath); !samePath(d, dataDir) {
		p = append(p, SecurePlan(d)...)
	}
	_, err := p.Execute(context.Background(), ExecRunner{})
	return err
}

func samePath(a, b string) bool {
	return filepath.Clean(a) == filepath.Clean(b)
}
