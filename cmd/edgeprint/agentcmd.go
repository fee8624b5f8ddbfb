package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/edgeprint/edgeprint/agent"
)

func runAgent(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runAgentCheck(args[1:], stdout, stderr)
		case "register":
			return runAgentRegister(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	fs := newFlags("agent", "edgeprint agent [--config FILE]", stderr)
	configPath := fs.String("config", "", "agent configuration file (JSON); defaults apply when empty")
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
	logger := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	a, err := agent.New(cfg, version, logger)
	if err != nil {
		return err
	}
	enableUpdates(a, logger)
	return a.Run(ctx)
}

func runAgentCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("agent check", "edgeprint agent check [--config FILE]", stderr)
	configPath := fs.String("config", "", "agent configuration file (JSON)")
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
	fmt.Fprintf(stdout, "configuration is valid\n  data dir:  %s\n  site:      %s\n  ipp:       %s\n  status:    http://%s/\n",
		cfg.DataDir, cfg.Site, cfg.IPP.Listen, cfg.Admin.Listen)
	if _, err := agent.LoadIdentity(cfg.DataDir); errors.Is(err, agent.ErrNotRegistered) {
		fmt.Fprintln(stdout, "  identity:  not registered yet (edgeprint agent register)")
	} else if err != nil {
		return err
	} else {
		fmt.Fprintln(stdout, "  identity:  registered")
	}
	return nil
}

func runAgentRegister(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("agent register", "edgeprint agent register --relay URL --company CODE --activation-code CODE [--config FILE]", stderr)
	configPath := fs.String("config", "", "agent configuration file (JSON), for its data directory")
	r := registrationFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if r.RelayURL == "" || r.Company == "" || r.ActivationCode == "" {
		fs.Usage()
		return errors.New("agent register: --relay, --company and --activation-code are required")
	}
	cfg, err := agent.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	return register(ctx, cfg.DataDir, r, stdin, stdout, stderr)
}

// registrationFlags adds the flags of a registration to fs; "agent
// register" and "service install" share them.
func registrationFlags(fs *flag.FlagSet) *agent.Registration {
	var r agent.Registration
	fs.StringVar(&r.RelayURL, "relay", "", "relay URL, e.g. https://print.example.com")
	fs.StringVar(&r.RelayFingerprint, "relay-fingerprint", "", "pin the relay's certificate (sha256:…, printed by the relay); needed for a self-signed relay")
	fs.StringVar(&r.Company, "company", "", "company code")
	fs.StringVar(&r.ActivationCode, "activation-code", "", "activation code from the relay console")
	fs.StringVar(&r.AdminEmail, "admin-email", "", "company admin's email (asked for when empty)")
	fs.StringVar(&r.Name, "name", "", "name shown in the console (default: this host's name)")
	return &r
}

// register asks for the admin's credentials (or reads them from stdin),
// registers and saves the identity in dataDir.
func register(ctx context.Context, dataDir string, r *agent.Registration, stdin io.Reader, stdout, stderr io.Writer) error {
	var err error
	if r.Name == "" {
		r.Name, _ = os.Hostname()
	}
	r.Version = version
	in := bufio.NewReader(stdin)
	if r.AdminEmail == "" {
		if r.AdminEmail, err = prompt(in, stderr, "Admin email: "); err != nil {
			return err
		}
	}
	password, err := promptSecret(in, stdin, stderr, "Admin password: ")
	if err != nil {
		return err
	}
	r.AdminPassword = agent.Secret(password)
	id, err := agent.Register(ctx, dataDir, *r)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered as agent %s with %s; identity saved in %s\n", id.AgentID, id.RelayURL, dataDir)
	return nil
}

func prompt(in *bufio.Reader, stderr io.Writer, label string) (string, error) {
	fmt.Fprint(stderr, label)
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading %s%w", strings.ToLower(label), err)
	}
	return strings.TrimSpace(line), nil
}

// promptSecret reads without echo on a terminal, and a plain line from a
// pipe, so scripts can pass the password on stdin.
func promptSecret(in *bufio.Reader, stdin io.Reader, stderr io.Writer, label string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, label)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
