package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/edgeprint/edgeprint/snmp"
)

// progressEvery bounds how often the progress bar is redrawn.
const progressEvery = 100 * time.Millisecond

const discoverSynopsis = "edgeprint discover TARGET… [--community C]… [--json] [flags]\n\n" +
	"TARGET is an address, host name, CIDR (10.0.0.0/24), range (10.0.0.10-50 or\n" +
	"10.0.0.10-10.0.1.20), each optionally with :port."

func runDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("discover", discoverSynopsis, stderr)
	var communities stringList
	fs.Var(&communities, "community", "SNMP v1/v2c community, tried in order (repeatable; default public)")
	version := fs.String("snmp-version", "2c", "SNMP version for communities: 1 or 2c")
	v3user := fs.String("v3-user", "", "SNMPv3 user (tried after the communities)")
	v3auth := fs.String("v3-auth", "", "SNMPv3 auth protocol:passphrase, e.g. SHA256:secret")
	v3priv := fs.String("v3-priv", "", "SNMPv3 privacy protocol:passphrase, e.g. AES:secret")
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	timeout := fs.Duration("timeout", snmp.DefaultTimeout, "per-request timeout")
	retries := fs.Int("retries", snmp.DefaultRetries, "retries per request (0 for none)")
	concurrency := fs.Int("concurrency", snmp.DefaultConcurrency, "addresses probed at once")
	rate := fs.Float64("rate", snmp.DefaultRate, "request packets per second (-1: unlimited)")
	noMerge := fs.Bool("no-merge", false, "list every address, without merging one device's addresses by serial/MAC")

	// Flags may come before, between or after the targets.
	var specs []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		specs = append(specs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(specs) == 0 {
		fs.Usage()
		return errors.New("discover: no target given")
	}
	creds, err := discoverCredentials(communities, *version, *v3user, *v3auth, *v3priv)
	if err != nil {
		return err
	}
	targets, err := snmp.ParseTargets(specs, creds)
	if err != nil {
		return fmt.Errorf("discover: %w", err)
	}
	r := *retries
	if r == 0 {
		r = -1 // Options: 0 means default
	}
	opts := snmp.Options{Concurrency: *concurrency, Rate: *rate, Timeout: *timeout, Retries: r}
	bar := newProgressBar(stderr)
	if bar != nil {
		opts.Progress = bar.update
	}
	start := time.Now()
	printers, err := snmp.Sweep(ctx, targets, opts)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return fmt.Errorf("discover: %w", err)
	}
	if !*noMerge {
		printers = snmp.Merge(printers)
	}
	if *asJSON {
		if printers == nil {
			printers = []snmp.Printer{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(printers)
	}
	printTable(stdout, printers)
	fmt.Fprintf(stderr, "%d printers in %d addresses, %s\n", len(printers), len(targets), time.Since(start).Round(time.Millisecond))
	return nil
}

func discoverCredentials(communities []string, version, user, auth, priv string) ([]snmp.Credential, error) {
	if version != "1" && version != "2c" {
		return nil, fmt.Errorf("discover: --snmp-version %q: want 1 or 2c", version)
	}
	if len(communities) == 0 && user == "" {
		communities = []string{"public"}
	}
	var creds []snmp.Credential
	for _, c := range communities {
		creds = append(creds, snmp.Credential{Version: version, Community: snmp.Secret(c)})
	}
	if user != "" {
		c := snmp.Credential{Version: "3", Username: user}
		if auth != "" {
			p, pass, ok := strings.Cut(auth, ":")
			if !ok {
				return nil, errors.New("discover: --v3-auth wants PROTOCOL:PASSPHRASE")
			}
			c.AuthProtocol, c.AuthPassphrase = p, snmp.Secret(pass)
		}
		if priv != "" {
			p, pass, ok := strings.Cut(priv, ":")
			if !ok {
				return nil, errors.New("discover: --v3-priv wants PROTOCOL:PASSPHRASE")
			}
			c.PrivProtocol, c.PrivPassphrase = p, snmp.Secret(pass)
		}
		creds = append(creds, c)
	}
	for _, c := range creds {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("discover: %w", err)
		}
	}
	return creds, nil
}

func printTable(w io.Writer, printers []snmp.Printer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tMANUFACTURER\tMODEL\tSERIAL\tMAC\tCOLOR\tDUPLEX\tSTATUS\tPAGES\tLOWEST SUPPLY")
	for _, p := range printers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Address, dash(p.Manufacturer), dash(p.Model),
			dash(p.Serial), dash(p.MAC), yesNo(p.Color), yesNo(p.Duplex), dash(p.Status), count(p.PageCount), lowestSupply(p.Supplies))
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "-"
	case *b:
		return "yes"
	}
	return "no"
}

func count(n *int64) string {
	if n == nil {
		return "-"
	}
	return strconv.FormatInt(*n, 10)
}

func lowestSupply(s []snmp.Supply) string {
	best := -1
	for i, x := range s {
		if x.Percent != nil && (best < 0 || *x.Percent < *s[best].Percent) {
			best = i
		}
	}
	if best < 0 {
		return "-"
	}
	return fmt.Sprintf("%s %d%%", s[best].Name, *s[best].Percent)
}

// progressBar draws "[#####     ] 120/254" on a terminal.
type progressBar struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
	done int
}

// newProgressBar returns nil unless w is a terminal.
func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w}
}

func (b *progressBar) update(done, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = done
	if done < total && time.Since(b.last) < progressEvery {
		return
	}
	b.last = time.Now()
	const width = 30
	n := done * width / max(total, 1)
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(" ", width-n), done, total)
}

func (b *progressBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprint(b.w, "\r\033[K")
}
