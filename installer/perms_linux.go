package installer

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// Secure gives the data directory, recursively, to the service account with
// no access for anyone else, and makes the configuration readable by that
// account's group only. Root keeps access as the administrator.
func Secure(dataDir, configPath string) error {
	uid, gid, err := serviceIDs()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, dataDirMode); err != nil {
		return fmt.Errorf("installer: data dir: %w", err)
	}
	err = filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o600)
		if d.IsDir() {
			mode = dataDirMode
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("installer: secure data dir: %w", err)
	}
	if err := os.Chmod(configPath, configMode); err != nil {
		return fmt.Errorf("installer: secure config: %w", err)
	}
	if err := os.Chown(configPath, 0, gid); err != nil {
		return fmt.Errorf("installer: secure config: %w", err)
	}
	return os.Chmod(filepath.Dir(configPath), configDir)
}

// serviceIDs are the service account's ids, or root's when there is none
// (a hand install that runs the agent as root).
func serviceIDs() (uid, gid int, err error) {
	u, err := user.Lookup(ServiceUser)
	if err != nil {
		return 0, 0, nil
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// PrepareDataDir makes the data directory, private to root for now, before
// anything secret (the identity) is written into it; Secure then gives it
// to the service account.
func PrepareDataDir(dataDir string) error {
	if err := os.MkdirAll(dataDir, dataDirMode); err != nil {
		return fmt.Errorf("installer: data dir: %w", err)
	}
	return os.Chmod(dataDir, dataDirMode)
}
