package installer

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
