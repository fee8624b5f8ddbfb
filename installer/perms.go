package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgeprint/edgeprint/agent"
)

// File modes on Unix: the data directory and identity belong to the
// service account alone; the configuration is readable by its group.
const (
	dataDirMode = 0o700
	configMode  = 0o640
	configDir   = 0o750
)

// WriteDefaultConfig writes the default configuration to path unless a file
// is already there, and reports whether it wrote one.
func WriteDefaultConfig(path string) (bool, error) {
	if _, err := os.Stat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("installer: %w", err)
	}
	data, err := DefaultConfigJSON()
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), configDir); err != nil {
		return false, fmt.Errorf("installer: config dir: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), configMode); err != nil {
		return false, fmt.Errorf("installer: write config: %w", err)
	}
	return true, nil
}

// DefaultConfigJSON is the configuration a fresh install starts with: the
// defaults spelled out, less the site, which defaults to the host name when
// the agent starts.
func DefaultConfigJSON() ([]byte, error) {
	cfg := agent.DefaultConfig()
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "site")
	return json.MarshalIndent(m, "", "  ")
}
