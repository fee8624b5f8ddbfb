// Command edgeprint is the one binary of edgeprint: the site agent, the
// relay, the loopback demo and the operator commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/update"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usage = `edgeprint: secure pull printing

Usage:
  edgeprint demo [--dir DIR] [--ephemeral]     run relay, agent and a printer on loopback
  edgeprint agent [--config FILE]              run the site agent
  edgeprint agent check [--config FILE]        validate the agent configuration
  edgeprint agent register --relay URL --company CODE --activation-code CODE [--config FILE]
                                               register this agent with a relay
  edgeprint service install --relay URL --company CODE --activation-code CODE [--config FILE]
                                               register, install and start the agent as a service, open its ports
  edgeprint service uninstall [--keep-data]    stop and remove the service and its firewall rules
  edgeprint service start|stop|restart|status  control the installed service
  edgeprint service firewall open|close        open or remove the agent's firewall rules
  edgeprint service run [--config FILE]        what the service manager starts (supervises the agent)
  edgeprint relay [flags]                      run the relay
  edgeprint relay init --data-dir DIR --company-code CODE --company-name NAME --admin-email EMAIL [--database URL]
                                               create a company, its first admin and API token
                                               (--database: keep the store in PostgreSQL, for replicas)
  edgeprint relay token create --data-dir DIR --company CODE [--name NAME]
                                               create an admin API token
  edgeprint relay migrate --data-dir DIR --to postgres://…
                                               move a stopped relay's embedded store into PostgreSQL
  edgeprint release keygen --out FILE          make an Ed25519 release key pair
  edgeprint release sign --key FILE --file BIN --version V [--os OS --arch ARCH]
                                               sign an agent binary (prints the release JSON)
  edgeprint relay release add --data-dir DIR --file BIN --release RELEASE.json
                                               offer a signed agent binary to agents
  edgeprint discover TARGET… [--community C]… [--json]
                                               sweep addresses for printers over SNMP
  edgeprint dnssd-zone --domain ZONE --addr IP  print unicast DNS-SD records of the agent's queue
  edgeprint version                            print the version

Run "edgeprint COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if errors.Is(err, agent.ErrUpdateInstalled) {
		os.Exit(update.ExitUpdated) // the supervisor starts the new binary
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "edgeprint:", err)
		os.Exit(1)
	}
}

// run dispatches a command line; it is main without the process around it,
// so tests can call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "agent":
		return runAgent(ctx, rest, stdin, stdout, stderr)
	case "relay":
		return runRelay(ctx, rest, stdout, stderr)
	case "service":
		return runService(ctx, rest, stdin, stdout, stderr)
	case "release":
		return runRelease(rest, stdout, stderr)
	case "discover":
		return runDiscover(ctx, rest, stdout, stderr)
	case "dnssd-zone":
		return runDNSSDZone(ctx, rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "edgeprint", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// newFlags makes a flag set that reports errors to the caller, not os.Exit.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// noArgs rejects stray positional arguments after flags.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
