//go:build !linux && !windows

package installer

import "os"

// Secure makes the data directory private to the user running the agent.
func Secure(dataDir, configPath string) error {
	if err := os.MkdirAll(dataDir, dataDirMode); err != nil {
		return err
	}
	return os.Chmod(configPath, configMode)
}

// PrepareDataDir makes the data directory private.
func PrepareDataDir(dataDir string) error {
	if err := os.MkdirAll(dataDir, dataDirMode); err != nil {
		return err
	}
	return os.Chmod(dataDir, dataDirMode)
}
