package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeprint/edgeprint/ldapauth"
)

// Off disables a listener when given as its address.
const Off = "off"

// Config is the agent's configuration file.
type Config struct {
	// DataDir holds the database, the spool, certificates and identity.
	DataDir string `json:"data_dir"`
	// Site names the queue users see: "<Site> Secure Print".
	Site  string      `json:"site"`
	Admin AdminConfig `json:"admin"`
	IPP   IPPConfig   `json:"ipp"`
	// CardReaders are the listeners network card readers connect to.
	CardReaders ReadersConfig `json:"card_readers"`
	// Panel is printer panel login: Convenience Authentication and SSO.
	Panel PanelConfig `json:"panel"`
	Log   LogConfig   `json:"log"`
	// LDAP are the company directories this agent checks logins against,
	// one per directory, each with the domains it serves (ldapauth).
	LDAP []ldapauth.Config `json:"ldap,omitempty"`
	// Delivery is how released jobs reach printers (deliver_config.go).
	Delivery DeliveryConfig `json:"delivery"`
	// Discovery finds the site's printers (discovery_config.go).
	Discovery DiscoveryConfig `json:"discovery"`
}

// AdminConfig is the local status page, /healthz and /metrics.
type AdminConfig struct {
	Listen string `json:"listen"` // loopback only; default 127.0.0.1:9631
}

// IPPConfig is the print queue.
type IPPConfig struct {
	Listen string `json:"listen"` // IPP and IPPS on one port; default :631
	// Hosts are extra names for the self-signed certificate.
	Hosts    []string `json:"hosts,omitempty"`
	CertFile string   `json:"cert_file,omitempty"`
	KeyFile  string   `json:"key_file,omitempty"`
	// MaxDocumentMB bounds one document; default 512.
	MaxDocumentMB int64 `json:"max_document_mb,omitempty"`
	// DNSSD is the mDNS advertisement of the queue.
	DNSSD DNSSDConfig `json:"dnssd,omitzero"`
}

// DNSSDConfig says where the queue is advertised over mDNS: on every
// multicast interface unless Interfaces names some, never when Off or
// when the queue listens on loopback only.
type DNSSDConfig struct {
	Off        bool     `json:"off,omitempty"`
	Interfaces []string `json:"interfaces,omitempty"`
}

// ReadersConfig has one listener per reader model; "off" disables one.
type ReadersConfig struct {
	ElatecTCPConv  string `json:"elatec_tcpconv"`  // default :7778
	ElatecTCPConv2 string `json:"elatec_tcpconv2"` // default :7777
	RFIDeas241     string `json:"rfideas_241"`     // default :2001
	// RFIDeas241TLS serves TLS on the RF IDeas listener, for a TLS
	// terminator in front of the reader (cardreader/README.md).
	RFIDeas241TLS bool `json:"rfideas_241_tls,omitempty"`
}

// LogConfig sets the log level (debug, info, warn, error) and format (text, json).
type LogConfig struct {
	Level  string `json:"level"`
	Format string `json:"format"`
}

// DefaultConfig is what an empty configuration file means.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		DataDir:     defaultDataDir(),
		Site:        host,
		Admin:       AdminConfig{Listen: "127.0.0.1:9631"},
		IPP:         IPPConfig{Listen: ":631", MaxDocumentMB: 512},
		CardReaders: ReadersConfig{ElatecTCPConv: ":7778", ElatecTCPConv2: ":7777", RFIDeas241: ":2001"},
		Panel:       defaultPanelConfig(),
		Log:         LogConfig{Level: "info", Format: "text"},
		Discovery:   defaultDiscovery(),
	}
}

// LoadConfig reads a configuration file over the defaults. Unknown keys are
// errors. An empty path gives the defaults.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, cfg.Validate()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("agent: read config: %w", err)
	}
	if err := decodeStrict(data, &cfg); err != nil {
		return cfg, fmt.Errorf("agent: config %s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the configuration object")
	}
	return nil
}

// Validate reports every problem in the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if !filepath.IsAbs(c.DataDir) {
		errs = append(errs, fmt.Errorf("data_dir %q must be an absolute path", c.DataDir))
	}
	if strings.TrimSpace(c.Site) == "" {
		errs = append(errs, errors.New("site must not be empty"))
	}
	if err := checkLoopback(c.Admin.Listen); err != nil {
		errs = append(errs, fmt.Errorf("admin.listen: %w", err))
	}
	listens := map[string]string{
		"ipp.listen":                   c.IPP.Listen,
		"card_readers.elatec_tcpconv":  c.CardReaders.ElatecTCPConv,
		"card_readers.elatec_tcpconv2": c.CardReaders.ElatecTCPConv2,
		"card_readers.rfideas_241":     c.CardReaders.RFIDeas241,
	}
	for name, addr := range listens {
		if err := checkListen(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if c.IPP.Listen == Off {
		errs = append(errs, errors.New("ipp.listen cannot be off: the queue is the agent's reason to exist"))
	}
	if (c.IPP.CertFile == "") != (c.IPP.KeyFile == "") {
		errs = append(errs, errors.New("ipp.cert_file and ipp.key_file go together"))
	}
	if c.IPP.MaxDocumentMB <= 0 {
		errs = append(errs, errors.New("ipp.max_document_mb must be positive"))
	}
	errs = append(errs, c.Panel.validate()...)
	errs = append(errs, validateLDAP(c.LDAP)...)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q is not debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q is not text or json", c.Log.Format))
	}
	if err := c.Delivery.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Discovery.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkListen(addr string) error {
	if addr == Off {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%q is not host:port or %q", addr, Off)
	}
	return nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q must be a loopback address: the status page has no login", addr)
	}
	return nil
}
