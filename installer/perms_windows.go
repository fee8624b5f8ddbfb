package installer

import (
	"context"
	"os"
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

// PrepareDataDir makes the data directory and restricts it before anything
// secret (the identity) is written into it.
func PrepareDataDir(dataDir string) error {
	if err := os.MkdirAll(dataDir, dataDirMode); err != nil {
		return err
	}
	_, err := SecurePlan(dataDir).Execute(context.Background(), ExecRunner{})
	return err
}
