package installer

// Linux places: the FHS locations the .deb and .rpm use too.
const (
	// ConfigPath is the agent configuration the service runs with.
	ConfigPath = "/etc/edgeprint/agent.json"
	// ServiceUser is the account the service runs as; postinstall.sh (or
	// Install, for a binary placed by hand) creates it.
	ServiceUser = "edgeprint"
	// UnitPath is where the packages put the systemd unit.
	UnitPath = "/lib/systemd/system/" + ServiceName + ".service"
	// HandUnitPath is where kardianos writes it for a hand install.
	HandUnitPath = "/etc/systemd/system/" + ServiceName + ".service"
)
