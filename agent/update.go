package agent

import (
	"path/filepath"

	"github.com/edgeprint/edgeprint/update"
)

// UpdateDir is where the agent keeps downloaded releases: DATA_DIR/bin,
// the one place the service account may write.
func UpdateDir(cfg Config) update.Dir {
	return update.Dir{Path: filepath.Join(cfg.DataDir, "bin")}
}
