package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/installer"
	"github.com/edgeprint/edgeprint/update"
)

const serviceUsage = "edgeprint service install|uninstall|start|stop|status|restart|run|firewall [flags]"

// runService is "edgeprint service …": install and control the agent as a
// Windows service or systemd unit, and "run", which the service manager
// starts.
func runService(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: %s\n", serviceUsage)
		return errors.New("service: no action given")
	}
	action, rest := args[0], args[1:]
	switch action {
	case "install":
		return runServiceInstall(ctx, rest, stdin, stdout, stderr)
	case "uninstall":
		return runServiceUninstall(ctx, rest, stdout, stderr)
	case "run":
		return runServiceRun(rest, stderr)
	case "firewall":
		return runServiceFirewall(ctx, rest, stdout, stderr)
	case "start", "stop", "restart", "status":
		return runServiceControl(action, rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "Usage: %s\n", serviceUsage)
	return fmt.Errorf("service: unknown action %q", action)
}

func serviceManager(configPath, dataDir string, log *slog.Logger, run installer.RunFunc) (*installer.Manager, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return installer.NewManager(installer.Options{Executable: exe, ConfigPath: configPath, DataDir: dataDir, Logger: log}, run)
}

// configOrDefaults loads path, or the defaults when there is no such file
// (uninstalling after the configuration was removed).
func configOrDefaults(path string) (agent.Config, error) {
	cfg, err := agent.LoadConfig(path)
	if errors.Is(err, os.ErrNotExist) {
		return agent.LoadConfig("")
	}
	return cfg, err
}

func runServiceInstall(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("service install", "edgeprint service install --relay URL --company CODE --activation-code CODE [--relay-fingerprint FP] [--config FILE]", stderr)
	configPath := fs.String("config", installer.ConfigPath, "agent configuration file; the defaults are written there when it is missing")
	noFirewall := fs.Bool("no-firewall", false, "leave the firewall alone")
	noStart := fs.Bool("no-start", false, "install without starting")
	r := registrationFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	// Until registration succeeds nothing is written: the configuration
	// in place, or the defaults, only name the data directory.
	cfgFile := *configPath
	if _, err := os.Stat(cfgFile); errors.Is(err, os.ErrNotExist) {
		cfgFile = ""
	}
	cfg, err := agent.LoadConfig(cfgFile)
	if err != nil {
		return err
	}

	// Register first: a wrong code or password changes nothing else.
	id, err := agent.LoadIdentity(cfg.DataDir)
	switch {
	case r.ActivationCode == "" && err == nil:
		fmt.Fprintf(stdout, "already registered as agent %s with %s\n", id.AgentID, id.RelayURL)
	case r.RelayURL == "" || r.Company == "" || r.ActivationCode == "":
		fs.Usage()
		return errors.New("service install: --relay, --company and --activation-code are required")
	default:
		if err := installer.PrepareDataDir(cfg.DataDir); err != nil {
			return err
		}
		if err := register(ctx, cfg.DataDir, r, stdin, stdout, stderr); err != nil {
			return err
		}
	}
	wrote, err := installer.WriteDefaultConfig(*configPath)
	if err != nil {
		return err
	}
	if wrote {
		fmt.Fprintf(stdout, "wrote the default configuration to %s\n", *configPath)
	}
	if err := installer.Secure(cfg.DataDir, *configPath); err != nil {
		return err
	}

	m, err := serviceManager(*configPath, cfg.DataDir, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	if err := m.Install(ctx); err != nil {
		return err
	}
	if st, err := m.Status(); err == nil {
		fmt.Fprintf(stdout, "installed service %s: %s\n", installer.ServiceName, st)
	}

	if !*noFirewall {
		if err := openFirewall(ctx, cfg, stdout); err != nil {
			return err
		}
	}
	if *noStart {
		return nil
	}
	switch err := m.Start(); {
	case errors.Is(err, installer.ErrNoServiceManager):
		fmt.Fprintf(stdout, "not started: %v\n", err)
	case err != nil:
		return err
	default:
		fmt.Fprintf(stdout, "started %s\n", installer.ServiceName)
	}
	return nil
}

func firewallFor(ctx context.Context, cfg agent.Config) (installer.Firewall, error) {
	ports, err := installer.Ports(cfg)
	if err != nil {
		return installer.Firewall{}, err
	}
	exe, _ := os.Executable()
	return installer.Firewall{Backend: installer.DetectFirewall(ctx, installer.ExecRunner{}), Ports: ports,
		Programs: []string{exe, agent.UpdateDir(cfg).Current()}}, nil
}

func openFirewall(ctx context.Context, cfg agent.Config, stdout io.Writer) error {
	fw, err := firewallFor(ctx, cfg)
	if err != nil {
		return err
	}
	manual, err := fw.Open(ctx, installer.ExecRunner{})
	if err != nil {
		return err
	}
	if manual != "" {
		fmt.Fprint(stdout, manual)
		return nil
	}
	fmt.Fprintf(stdout, "opened %v in %s\n", fw.Ports, fw.Backend)
	return nil
}

func runServiceUninstall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("service uninstall", "edgeprint service uninstall [--keep-data] [--config FILE]", stderr)
	configPath := fs.String("config", installer.ConfigPath, "agent configuration file")
	keepData := fs.Bool("keep-data", false, "keep the data directory (identity, held jobs, updates)")
	keepConfig := fs.Bool("keep-config", false, "keep the configuration file (the packages' scripts use this: the package owns it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := configOrDefaults(*configPath)
	if err != nil {
		return err
	}
	m, err := serviceManager(*configPath, cfg.DataDir, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	if st, err := m.Status(); err == nil && st.Running {
		if err := m.Stop(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "stopped %s\n", installer.ServiceName)
	}
	fw, err := firewallFor(ctx, cfg)
	if err != nil {
		return err
	}
	if err := fw.Close(ctx, installer.ExecRunner{}); err != nil {
		return err
	}
	if fw.Backend != installer.Manual {
		fmt.Fprintf(stdout, "removed the firewall rules from %s\n", fw.Backend)
	}
	if err := m.Uninstall(ctx); err != nil && !errors.Is(err, installer.ErrNotInstalled) {
		return err
	}
	fmt.Fprintf(stdout, "uninstalled service %s\n", installer.ServiceName)
	if !*keepConfig {
		if err := os.Remove(*configPath); err == nil {
			os.Remove(filepath.Dir(*configPath)) // only if empty
			fmt.Fprintf(stdout, "removed %s\n", *configPath)
		}
	}
	if *keepData {
		fmt.Fprintf(stdout, "kept %s\n", cfg.DataDir)
		return nil
	}
	if err := os.RemoveAll(cfg.DataDir); err != nil {
		return fmt.Errorf("service uninstall: %w", err)
	}
	fmt.Fprintf(stdout, "removed %s\n", cfg.DataDir)
	return nil
}

func runServiceControl(action string, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("service "+action, "edgeprint service "+action+" [--config FILE]", stderr)
	configPath := fs.String("config", installer.ConfigPath, "agent configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := configOrDefaults(*configPath)
	if err != nil {
		return err
	}
	m, err := serviceManager(*configPath, cfg.DataDir, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	switch action {
	case "start":
		err = m.Start()
	case "stop":
		err = m.Stop()
	case "restart":
		err = m.Restart()
	case "status":
		st, err := m.Status()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s\n", installer.ServiceName, st)
		if !st.Installed {
			return installer.ErrNotInstalled
		}
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %sed\n", installer.ServiceName, map[string]string{"start": "start", "stop": "stopp", "restart": "restart"}[action])
	return nil
}

// runServiceRun is what the service manager starts: it supervises the
// agent (edgeprint agent --config FILE) as a child, so an update that does
// not come up is rolled back.
func runServiceRun(args []string, stderr io.Writer) error {
	fs := newFlags("service run", "edgeprint service run [--config FILE]", stderr)
	configPath := fs.String("config", installer.ConfigPath, "agent configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := agent.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var m *installer.Manager
	run := func(ctx context.Context, log *slog.Logger) error {
		s := &update.Supervisor{
			Dir:              agent.UpdateDir(cfg),
			Installed:        exe,
			InstalledVersion: version,
			Args:             []string{"agent", "--config", *configPath},
			HealthFile:       filepath.Join(agent.UpdateDir(cfg).Path, "health"),
			Logger:           log.With("component", "supervisor"),
			Stderr:           m.ChildLog(),
		}
		return s.Run(ctx)
	}
	m, err = serviceManager(*configPath, cfg.DataDir, newLogger(stderr, cfg.Log.Level, cfg.Log.Format), run)
	if err != nil {
		return err
	}
	if err := m.Run(); err != nil {
		return err
	}
	return m.Failed()
}

// runServiceFirewall opens or closes the agent's ports on their own: the
// MSI's uninstall runs "service firewall close".
func runServiceFirewall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "open" && args[0] != "close") {
		fmt.Fprintln(stderr, "Usage: edgeprint service firewall open|close [--config FILE]")
		return errors.New("service firewall: open or close?")
	}
	fs := newFlags("service firewall", "edgeprint service firewall open|close [--config FILE]", stderr)
	configPath := fs.String("config", installer.ConfigPath, "agent configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := configOrDefaults(*configPath)
	if err != nil {
		return err
	}
	if args[0] == "open" {
		return openFirewall(ctx, cfg, stdout)
	}
	fw, err := firewallFor(ctx, cfg)
	if err != nil {
		return err
	}
	if err := fw.Close(ctx, installer.ExecRunner{}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed the edgeprint firewall rules (%s)\n", fw.Backend)
	return nil
}

// enableUpdates turns self-update on for an agent that runs under the
// supervisor of "edgeprint service run" and was built with a release key.
func enableUpdates(a *agent.Agent, log *slog.Logger) {
	if !update.Supervised() {
		return
	}
	key, err := update.ParsePublicKey(update.PublicKey)
	if err != nil {
		log.Info("self-update off", "reason", err)
		return
	}
	a.EnableUpdates(agent.Updates{PublicKey: key})
}
