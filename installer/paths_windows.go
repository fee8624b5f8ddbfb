package installer

import (
	"os"
	"path/filepath"
)

// ServiceUser is empty: the service runs as LocalSystem.
const ServiceUser = ""

// ConfigPath is the agent configuration, beside its data in ProgramData.
var ConfigPath = filepath.Join(programData(), "edgeprint", "agent.json")

func programData() string {
	if d := os.Getenv("ProgramData"); d != "" {
		return d
	}
	return `C:\ProgramData`
}
