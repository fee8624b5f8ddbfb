package relay

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Defaults for Config.
const (
	DefaultListen      = ":443"
	DefaultAdminListen = "127.0.0.1:9632"
	// AdminOff disables the admin listener, as does an empty AdminListen.
	AdminOff = "off"
)

// Config is what an operator sets for a relay.
type Config struct {
	// Listen is the HTTPS address of the console, the JSON API and the agent
	// tunnel; empty means DefaultListen.
	Listen string
	// DataDir holds the store (relay.db), the encrypted documents
	// (documents/), the master key (master.key) and the self-signed
	// certificate (relay.crt, relay.key).
	DataDir string
	// CertFile and KeyFile are the operator's certificate; when both are
	// empty a self-signed one is made in DataDir on first start.
	CertFile, KeyFile string
	// Hosts are the names and addresses the self-signed certificate is for,
	// besides localhost and loopback.
	Hosts []string
	// AdminListen serves /healthz and /metrics, meant for loopback
	// (DefaultAdminListen); "" or AdminOff disables it.
	AdminListen string
	// Database is the PostgreSQL URL of the store replicas share; empty
	// means the one the data dir's "database" file names, and without
	// that file the embedded store in the data dir.
	Database string
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data dir is required"))
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			errs = append(errs, fmt.Errorf("listen address %q: %w", c.Listen, err))
		}
	}
	if c.adminEnabled() {
		if _, _, err := net.SplitHostPort(c.AdminListen); err != nil {
			errs = append(errs, fmt.Errorf("admin listen address %q: %w", c.AdminListen, err))
		}
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		errs = append(errs, errors.New("database must be a postgres:// URL"))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("set both the certificate and the key file, or neither"))
	}
	for _, h := range c.Hosts {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " /") {
			errs = append(errs, fmt.Errorf("host %q is not a name or an address", h))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("relay: config: %w", err)
	}
	return nil
}

func (c Config) listen() string {
	if c.Listen == "" {
		return DefaultListen
	}
	return c.Listen
}

func (c Config) adminEnabled() bool {
	return c.AdminListen != "" && c.AdminListen != AdminOff
}

// adminIsLoopback reports whether the admin listener is reachable from this
// host only; New warns when it is not.
func (c Config) adminIsLoopback() bool {
	host, _, err := net.SplitHostPort(c.AdminListen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
