package installer

// RecoveryPlan makes the Service Control Manager restart the agent 5 s
// after it fails, as kardianos's OnFailure does for a service it creates;
// the MSI's ServiceInstall has no such setting.
func RecoveryPlan() Plan {
	return Plan{{Name: "sc.exe", Args: []string{"failure", ServiceName, "reset=", "86400",
		"actions=", "restart/5000/restart/5000/restart/5000"}}}
}
