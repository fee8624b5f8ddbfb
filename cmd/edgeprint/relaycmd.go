package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/edgeprint/edgeprint/relay"
)

const defaultRelayDataDir = "/var/lib/edgeprint-relay"

func runRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "init":
			return runRelayInit(ctx, args[1:], stdout, stderr)
		case "token":
			if len(args) > 1 && args[1] == "create" {
				return runRelayToken(ctx, args[2:], stdout, stderr)
			}
			return errors.New(`relay token: the only subcommand is "create"`)
		case "release":
			return runRelayRelease(args[1:], stdout, stderr)
		case "migrate":
			return runRelayMigrate(ctx, args[1:], stdout, stderr) // relaymigrate.go
		}
	}
	fs := newFlags("relay", "edgeprint relay [flags]", stderr)
	var cfg relay.Config
	var hosts stringList
	fs.StringVar(&cfg.Listen, "listen", ":443", "HTTPS address for the console, the API and agent tunnels")
	fs.StringVar(&cfg.DataDir, "data-dir", defaultRelayDataDir, "database, job store and certificates")
	fs.StringVar(&cfg.CertFile, "cert", "", "TLS certificate (PEM); a self-signed one is made when empty")
	fs.StringVar(&cfg.KeyFile, "key", "", "TLS key (PEM)")
	fs.Var(&hosts, "host", "a name clients use for the relay, for the self-signed certificate (repeatable)")
	fs.StringVar(&cfg.AdminListen, "admin-listen", "127.0.0.1:9632", `loopback address for /healthz and /metrics, or "off"`)
	level := fs.String("log-level", "info", "debug, info, warn or error")
	format := fs.String("log-format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg.Hosts = hosts
	srv, err := relay.New(cfg, newLogger(stderr, *level, *format))
	if err != nil {
		return err
	}
	return srv.Serve(ctx)
}

func runRelayInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("relay init", "edgeprint relay init --data-dir DIR --company-code CODE --company-name NAME --admin-email EMAIL", stderr)
	dataDir := fs.String("data-dir", defaultRelayDataDir, "the relay's data directory")
	var o relay.InitOptions
	fs.StringVar(&o.CompanyCode, "company-code", "", "short code users and agents give for the company, e.g. ACME")
	fs.StringVar(&o.CompanyName, "company-name", "", "the company's name")
	fs.StringVar(&o.AdminEmail, "admin-email", "", "the first admin's email")
	fs.StringVar(&o.Database, "database", "", "PostgreSQL URL to keep the store in (replicas); written to DATA_DIR/database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if o.CompanyCode == "" || o.CompanyName == "" || o.AdminEmail == "" {
		fs.Usage()
		return errors.New("relay init: --company-code, --company-name and --admin-email are required")
	}
	res, err := relay.Init(ctx, *dataDir, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "company %s created\nadmin:     %s\npassword:  %s   (shown once: change it after the first login)\napi token: %s   (shown once)\n",
		o.CompanyCode, o.AdminEmail, res.AdminPassword, res.APIToken)
	return nil
}

func runRelayToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("relay token create", "edgeprint relay token create --data-dir DIR --company CODE [--name NAME]", stderr)
	dataDir := fs.String("data-dir", defaultRelayDataDir, "the relay's data directory")
	company := fs.String("company", "", "company code")
	name := fs.String("name", "cli", "what the token is for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *company == "" {
		fs.Usage()
		return errors.New("relay token create: --company is required")
	}
	tok, err := relay.CreateToken(ctx, *dataDir, *company, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

var _ flag.Value = (*stringList)(nil)

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
