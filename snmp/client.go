package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
	"golang.org/x/time/rate"
)

// Defaults for a sweep; every one can be changed in Options.
const (
	DefaultTimeout     = 1500 * time.Millisecond // per request, per try
	DefaultRetries     = 1
	DefaultConcurrency = 256
	DefaultRate        = 500 // packets per second, for the whole sweep
	DefaultPort        = 161

	bulkRepetitions = 8  // rows per column asked for per GETBULK
	maxGetOIDs      = 16 // variables per GET
	maxRequestOIDs  = 64 // variables per request of any kind (GETBULK: columns)
	maxWalkRequests = 64 // requests per table walk, whatever the device says
)

// ErrNoResponse means no credential got an answer from the address.
var (
	ErrNoResponse = errors.New("snmp: no response")
	// ErrNotPrinter means the device answered but is not a printer.
	ErrNotPrinter = errors.New("snmp: not a printer")
)

// Secret is a community or passphrase; it prints and marshals redacted.
type Secret string

func (Secret) String() string                 { return "<redacted>" }
func (Secret) GoString() string               { return "<redacted>" }
func (Secret) MarshalJSON() ([]byte, error)   { return []byte(`"<redacted>"`), nil }
func (s Secret) MarshalText() ([]byte, error) { return []byte("<redacted>"), nil }

// Credential is one way to talk to a device. Version is "1", "2c" or "3".
type Credential struct {
	Name           string `json:"name,omitempty"`
	Version        string `json:"version,omitempty"` // default "2c"
	Community      Secret `json:"community,omitempty"`
	Username       string `json:"username,omitempty"`
	AuthProtocol   string `json:"auth_protocol,omitempty"` // MD5, SHA, SHA224, SHA256, SHA384, SHA512
	AuthPassphrase Secret `json:"auth_passphrase,omitempty"`
	PrivProtocol   string `json:"priv_protocol,omitempty"` // DES, AES, AES192, AES256, AES192C, AES256C
	PrivPassphrase Secret `json:"priv_passphrase,omitempty"`
	ContextName    string `json:"context_name,omitempty"`
}

// Label names the credential in logs and results without its secrets.
func (c Credential) Label() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Version == "3" {
		return "v3:" + c.Username
	}
	return "v" + c.version()
}

func (c Credential) version() string {
	if c.Version == "" {
		return "2c"
	}
	return c.Version
}

// Validate checks the credential's fields.
func (c Credential) Validate() error {
	switch c.version() {
	case "1", "2c":
		if c.Community == "" {
			return fmt.Errorf("snmp: credential %s: community is empty", c.Label())
		}
	case "3":
		if c.Username == "" {
			return fmt.Errorf("snmp: credential %s: v3 needs a username", c.Label())
		}
		if _, err := authProto(c.AuthProtocol); err != nil {
			return err
		}
		if _, err := privProto(c.PrivProtocol); err != nil {
			return err
		}
		if c.PrivProtocol != "" && c.AuthProtocol == "" {
			return fmt.Errorf("snmp: credential %s: privacy needs authentication", c.Label())
		}
	default:
		return fmt.Errorf("snmp: credential %s: version %q is not 1, 2c or 3", c.Label(), c.Version)
	}
	return nil
}

func authProto(s string) (gosnmp.SnmpV3AuthProtocol, error) {
	switch strings.ToUpper(s) {
	case "":
		return gosnmp.NoAuth, nil
	case "MD5":
		return gosnmp.MD5, nil
	case "SHA", "SHA1":
		return gosnmp.SHA, nil
	case "SHA224":
		return gosnmp.SHA224, nil
	case "SHA256":
		return gosnmp.SHA256, nil
	case "SHA384":
		return gosnmp.SHA384, nil
	case "SHA512":
		return gosnmp.SHA512, nil
	}
	return 0, fmt.Errorf("snmp: unknown auth protocol %q", s)
}

func privProto(s string) (gosnmp.SnmpV3PrivProtocol, error) {
	switch strings.ToUpper(s) {
	case "":
		return gosnmp.NoPriv, nil
	case "DES":
		return gosnmp.DES, nil
	case "AES", "AES128":
		return gosnmp.AES, nil
	case "AES192":
		return gosnmp.AES192, nil
	case "AES256":
		return gosnmp.AES256, nil
	case "AES192C":
		return gosnmp.AES192C, nil
	case "AES256C":
		return gosnmp.AES256C, nil
	}
	return 0, fmt.Errorf("snmp: unknown privacy protocol %q", s)
}

// client is what reading needs from an SNMP session; the gosnmp one below
// in production, fakes in the fuzz tests.
type client interface {
	get(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error)
	// bulk is GETBULK (GETNEXT on v1, one row): the variables after each oid.
	bulk(ctx context.Context, oids []string, reps int) ([]gosnmp.SnmpPDU, error)
	v1() bool
}

type gosnmpClient struct {
	g       *gosnmp.GoSNMP
	limiter *rate.Limiter
}

func dial(ctx context.Context, host string, port int, cred Credential, timeout time.Duration, retries int, lim *rate.Limiter) (*gosnmpClient, error) {
	g := &gosnmp.GoSNMP{
		Target:             host,
		Port:               uint16(port),
		Transport:          "udp",
		Timeout:            timeout,
		Retries:            retries,
		Context:            ctx,
		MaxOids:            maxRequestOIDs,
		ExponentialTimeout: false,
	}
	switch cred.version() {
	case "1":
		g.Version, g.Community = gosnmp.Version1, string(cred.Community)
	case "2c":
		g.Version, g.Community = gosnmp.Version2c, string(cred.Community)
	case "3":
		ap, err := authProto(cred.AuthProtocol)
		if err != nil {
			return nil, err
		}
		pp, err := privProto(cred.PrivProtocol)
		if err != nil {
			return nil, err
		}
		flags := gosnmp.NoAuthNoPriv
		if ap != gosnmp.NoAuth {
			flags = gosnmp.AuthNoPriv
			if pp != gosnmp.NoPriv {
				flags = gosnmp.AuthPriv
			}
		}
		g.Version = gosnmp.Version3
		g.SecurityModel = gosnmp.UserSecurityModel
		g.MsgFlags = flags
		g.ContextName = cred.ContextName
		g.SecurityParameters = &gosnmp.UsmSecurityParameters{
			UserName:                 cred.Username,
			AuthenticationProtocol:   ap,
			AuthenticationPassphrase: string(cred.AuthPassphrase),
			PrivacyProtocol:          pp,
			PrivacyPassphrase:        string(cred.PrivPassphrase),
		}
	default:
		return nil, fmt.Errorf("snmp: version %q is not 1, 2c or 3", cred.Version)
	}
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("snmp: connect %s: %w", net.JoinHostPort(host, strconv.Itoa(port)), err)
	}
	return &gosnmpClient{g: g, limiter: lim}, nil
}

func (c *gosnmpClient) close() { _ = c.g.Conn.Close() }

func (c *gosnmpClient) v1() bool { return c.g.Version == gosnmp.Version1 }

func (c *gosnmpClient) wait(ctx context.Context) error {
	if c.limiter == nil {
		return ctx.Err()
	}
	return c.limiter.Wait(ctx)
}

func (c *gosnmpClient) get(ctx context.Context, oids []string) ([]gosnmp.SnmpPDU, error) {
	if err := c.wait(ctx); err != nil {
		return nil, err
	}
	pkt, err := c.g.Get(oids)
	if err != nil {
		return nil, err
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("snmp: get: %w", errStatus(pkt.Error))
	}
	return pkt.Variables, nil
}

func (c *gosnmpClient) bulk(ctx context.Context, oids []string, reps int) ([]gosnmp.SnmpPDU, error) {
	if err := c.wait(ctx); err != nil {
		return nil, err
	}
	var pkt *gosnmp.SnmpPacket
	var err error
	if c.v1() {
		pkt, err = c.g.GetNext(oids)
	} else {
		pkt, err = c.g.GetBulk(oids, 0, uint32(reps))
	}
	if err != nil {
		return nil, err
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("snmp: getbulk: %w", errStatus(pkt.Error))
	}
	return pkt.Variables, nil
}

// errNoSuchName is the v1 answer to a GET of any missing variable;
// errTooBig says the answer would not fit the agent's message size.
var (
	errNoSuchName = errors.New("noSuchName")
	errTooBig     = errors.New("tooBig")
)

func errStatus(e gosnmp.SNMPError) error {
	switch e {
	case gosnmp.NoSuchName:
		return errNoSuchName
	case gosnmp.TooBig:
		return errTooBig
	}
	return fmt.Errorf("error-status %s", e)
}
