package installer

import (
	"context"
	"path/filepath"
)

// Well-known SIDs, so the ACL is right on every Windows language.
const (
	sidSystem         = "*S-1-5-18"
	sidAdministrators = "*S-1-5-32-544"
)

// SecurePlan removes inherited access to the agent's data directory (which
// holds the configuration too) and grants full control to SYSTEM, which the
// service runs as, and to Administrators only.
func SecurePlan(dataDir string) Plan {
	return Plan{{Name: "icacls", Args: []string{dataDir, "/inheritance:r",
		"/grant:r", sidSystem + ":(OI)(CI)F", "/grant:r", sidAdministrators + ":(OI)(CI)F", "/T", "/C", "/Q"}}}
}

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
