package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/edgeprint/edgeprint/snmp"
)

// LocalTargets in discovery.targets[].addresses means the IPv4 subnets of
// this host's interfaces (each at most a /24 around the host's address).
const LocalTargets = "local"

// Discovery defaults and bounds.
const (
	defaultDiscoveryInterval = 15 * time.Minute
	defaultPollInterval      = time.Minute
	minDiscoveryInterval     = time.Minute
	minPollInterval          = 10 * time.Second
)

// DiscoveryConfig is the "discovery" section: what to sweep, with which
// SNMP credentials, how often, and how hard.
type DiscoveryConfig struct {
	// Disabled stops sweeps, mDNS browsing and polling.
	Disabled bool `json:"disabled,omitempty"`
	// Targets are swept in order; default [{"addresses":["local"]}].
	Targets []DiscoveryTarget `json:"targets"`
	// Credentials are named; targets refer to them by name. Default: v2c
	// community "public".
	Credentials []snmp.Credential `json:"credentials"`
	// Interval between sweeps (default 15m); PollInterval between status
	// polls of enabled printers (default 1m).
	Interval     Duration `json:"interval"`
	PollInterval Duration `json:"poll_interval"`
	Concurrency  int      `json:"concurrency,omitempty"` // default 256
	Rate         float64  `json:"rate,omitempty"`        // packets/s, default 500
	Timeout      Duration `json:"timeout,omitempty"`     // per request, default 1.5s
	Retries      int      `json:"retries,omitempty"`     // default 1
	// MDNS browses _ipp/_ipps/_pdl-datastream/_printer too; default true.
	MDNS *bool `json:"mdns,omitempty"`
	// Settings are vendor settings written by SNMP SET after each sweep,
	// only to the printers they list (opt-in per printer).
	Settings []DiscoverySetting `json:"settings,omitempty"`
}

// DiscoverySetting applies Profile to the printers with the listed
// serials. Vars fill the profile's {placeholders}; agent_host defaults to
// this host's name.
type DiscoverySetting struct {
	Serials []string          `json:"serials"`
	Profile snmp.SetProfile   `json:"profile"`
	Vars    map[string]string `json:"vars,omitempty"`
	DryRun  bool              `json:"dry_run,omitempty"`
}

// DiscoveryTarget is a set of addresses and the credentials tried on them.
type DiscoveryTarget struct {
	// Addresses: CIDRs, ranges, hosts, host:port, or "local".
	Addresses []string `json:"addresses"`
	// Credentials names entries of discovery.credentials, tried in order;
	// empty means all of them, in their order.
	Credentials []string `json:"credentials,omitempty"`
}

// defaultDiscovery leaves the lists empty: JSON decodes an array into the
// elements already there, so list defaults are filled in by effective.
func defaultDiscovery() DiscoveryConfig {
	return DiscoveryConfig{
		Interval:     Duration(defaultDiscoveryInterval),
		PollInterval: Duration(defaultPollInterval),
		Concurrency:  256,
	}
}

// effective is c with empty lists replaced by their defaults.
func (c DiscoveryConfig) effective() DiscoveryConfig {
	if len(c.Targets) == 0 {
		c.Targets = []DiscoveryTarget{{Addresses: []string{LocalTargets}}}
	}
	if len(c.Credentials) == 0 {
		c.Credentials = []snmp.Credential{{Name: "public", Version: "2c", Community: "public"}}
	}
	return c
}

// Validate reports every problem of the section.
func (c DiscoveryConfig) Validate() error {
	c = c.effective()
	var errs []error
	names := map[string]bool{}
	for i, cr := range c.Credentials {
		if cr.Name == "" {
			errs = append(errs, fmt.Errorf("discovery.credentials[%d]: name is required", i))
		} else if names[cr.Name] {
			errs = append(errs, fmt.Errorf("discovery.credentials[%d]: name %q used twice", i, cr.Name))
		}
		names[cr.Name] = true
		if err := cr.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("discovery.credentials[%d]: %w", i, err))
		}
	}
	for i, t := range c.Targets {
		if len(t.Addresses) == 0 {
			errs = append(errs, fmt.Errorf("discovery.targets[%d].addresses is empty", i))
		}
		for _, a := range t.Addresses {
			if a == LocalTargets {
				continue
			}
			if _, err := snmp.ParseTargets([]string{a}, nil); err != nil {
				errs = append(errs, fmt.Errorf("discovery.targets[%d]: %w", i, err))
			}
		}
		for _, n := range t.Credentials {
			if !names[n] {
				errs = append(errs, fmt.Errorf("discovery.targets[%d]: no credential named %q", i, n))
			}
		}
	}
	for i, st := range c.Settings {
		if len(st.Serials) == 0 {
			errs = append(errs, fmt.Errorf("discovery.settings[%d].serials: list the printers to write to", i))
		}
		if err := st.Profile.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("discovery.settings[%d]: %w", i, err))
		}
	}
	if time.Duration(c.Interval) < minDiscoveryInterval {
		errs = append(errs, fmt.Errorf("discovery.interval must be at least %s", minDiscoveryInterval))
	}
	if time.Duration(c.PollInterval) < minPollInterval {
		errs = append(errs, fmt.Errorf("discovery.poll_interval must be at least %s", minPollInterval))
	}
	if c.Concurrency < 0 || c.Concurrency > 4096 {
		errs = append(errs, errors.New("discovery.concurrency must be 0 to 4096"))
	}
	if c.Retries < 0 || c.Retries > 10 {
		errs = append(errs, errors.New("discovery.retries must be 0 to 10"))
	}
	return errors.Join(errs...)
}

// credentialsFor returns t's credentials in order.
func (c DiscoveryConfig) credentialsFor(t DiscoveryTarget) []snmp.Credential {
	if len(t.Credentials) == 0 {
		return c.Credentials
	}
	var out []snmp.Credential
	for _, n := range t.Credentials {
		for _, cr := range c.Credentials {
			if cr.Name == n {
				out = append(out, cr)
			}
		}
	}
	return out
}

func (c DiscoveryConfig) mdns() bool { return c.MDNS == nil || *c.MDNS }

func (c DiscoveryConfig) sweepOptions() snmp.Options {
	retries := c.Retries
	if retries == 0 {
		retries = -1 // none; snmp.Options reads 0 as its default
	}
	return snmp.Options{Concurrency: c.Concurrency, Rate: c.Rate, Timeout: time.Duration(c.Timeout), Retries: retries}
}

// Duration is a time.Duration written as a string in JSON ("15m", "30s").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"15m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
