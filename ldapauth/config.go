package ldapauth

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Default timeouts. A login waits at most DefaultLoginTimeout in all, so the
// relay (and the printer or phone behind it) gets its answer well within
// its own timeouts even when every server is dead.
const (
	// DefaultDialTimeout bounds connecting (TCP and TLS) to one server.
	DefaultDialTimeout = 3 * time.Second
	// DefaultOpTimeout bounds one LDAP operation (bind, search, StartTLS).
	DefaultOpTimeout = 5 * time.Second
	// DefaultLoginTimeout bounds one whole Authenticate call, failover
	// included.
	DefaultLoginTimeout = 10 * time.Second
)

// DefaultUserFilter finds a user by Active Directory account name, UPN or
// POSIX uid. {user} is the account name without its domain, {upn} the
// name as user@domain; both are escaped (RFC 4515) before they go in.
const DefaultUserFilter = "(|(sAMAccountName={user})(userPrincipalName={upn})(uid={user}))"

// Limits on what a login may carry.
const (
	maxUsernameLen = 256
	maxPasswordLen = 1024
)

// Config is one directory: the domains it answers for and how to reach it.
type Config struct {
	// Domains are the names users qualify their login with: DNS names for
	// UPNs ("acme.example") and NetBIOS names ("ACME"). The first DNS name
	// completes a bare name into a UPN. Matched without letter case.
	Domains []string `json:"domains"`
	// Servers are ldap:// or ldaps:// URLs, tried in order: the first that
	// answers serves the login.
	Servers []string `json:"servers"`
	// StartTLS upgrades ldap:// connections before anything is sent.
	StartTLS bool `json:"starttls,omitempty"`
	// CAFile is a PEM bundle trusted for the servers' certificates; empty
	// means the system's roots.
	CAFile string `json:"ca_file,omitempty"`
	// InsecureSkipVerify accepts any certificate. Never the default; for a
	// lab only.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`

	// BaseDN is where users (and groups) are searched.
	BaseDN string `json:"base_dn"`
	// UserFilter finds the user's entry; default DefaultUserFilter.
	UserFilter string `json:"user_filter,omitempty"`
	// BindDN and BindPassword are a service account that searches for the
	// user's DN before the user's own bind. Without one, the search is
	// anonymous when AnonymousSearch is set; otherwise the user binds
	// directly (UserDNTemplate, or the name as typed, which Active
	// Directory accepts as DOMAIN\user or UPN) and then reads their own entry.
	BindDN          string `json:"bind_dn,omitempty"`
	BindPassword    Secret `json:"bind_password,omitempty"`
	AnonymousSearch bool   `json:"anonymous_search,omitempty"`
	// UserDNTemplate makes the DN to bind as from the account name, e.g.
	// "uid={user},ou=people,dc=acme,dc=example".
	UserDNTemplate string `json:"user_dn_template,omitempty"`

	// EmailAttribute (default mail) and NameAttribute (default
	// displayName, then cn) describe the user.
	EmailAttribute string `json:"email_attribute,omitempty"`
	NameAttribute  string `json:"name_attribute,omitempty"`
	// GroupAttribute lists the user's groups on their entry (memberOf on
	// Active Directory). GroupFilter instead searches groups under BaseDN;
	// {dn} is the user's DN and {user} the account name, e.g.
	// "(&(objectClass=groupOfNames)(member={dn}))".
	GroupAttribute string `json:"group_attribute,omitempty"`
	GroupFilter    string `json:"group_filter,omitempty"`
	// AdminGroup is the DN of the group whose members administer the
	// company in edgeprint.
	AdminGroup string `json:"admin_group,omitempty"`
	// CardAttribute holds the user's badge number (e.g. employeeNumber):
	// a badge enrols itself at the user's first directory login.
	CardAttribute string `json:"card_attribute,omitempty"`

	// SyncInterval imports the directory's people into the relay this
	// often (no passwords); zero turns the import off. SyncFilter selects
	// them (default DefaultSyncFilter). Sync needs bind_dn or
	// anonymous_search.
	SyncInterval Duration `json:"sync_interval,omitzero"`
	SyncFilter   string   `json:"sync_filter,omitempty"`

	// Timeouts; zero means the default.
	DialTimeout  Duration `json:"dial_timeout,omitzero"`
	OpTimeout    Duration `json:"op_timeout,omitzero"`
	LoginTimeout Duration `json:"login_timeout,omitzero"`
}

// Duration is a time.Duration written as "5s" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"5s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) or(def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}

// Serves reports whether domain (a DNS or NetBIOS name) is one of c's.
func (c Config) Serves(domain string) bool {
	for _, d := range c.Domains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// upnSuffix is the first DNS name among the domains, "" if none.
func (c Config) upnSuffix() string {
	for _, d := range c.Domains {
		if strings.Contains(d, ".") {
			return d
		}
	}
	return ""
}

// Validate reports every problem at once; name prefixes the messages
// (e.g. "ldap[0]").
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Domains) == 0 {
		bad("domains: at least one domain is required")
	}
	for _, d := range c.Domains {
		if !validDomain(d) {
			bad("domains: %q is not a DNS or NetBIOS name", d)
		}
	}
	if len(c.Servers) == 0 {
		bad("servers: at least one ldap:// or ldaps:// URL is required")
	}
	for _, s := range c.Servers {
		u, err := url.Parse(s)
		switch {
		case err != nil || u.Host == "":
			bad("servers: %q is not an ldap:// or ldaps:// URL", s)
		case u.Scheme == "ldaps" && c.StartTLS:
			bad("servers: %q is ldaps://, which cannot also use starttls", s)
		case u.Scheme != "ldap" && u.Scheme != "ldaps":
			bad("servers: %q is not an ldap:// or ldaps:// URL", s)
		}
	}
	if _, err := ldap.ParseDN(c.BaseDN); err != nil || c.BaseDN == "" {
		bad("base_dn: %q is not a DN", c.BaseDN)
	}
	if (c.BindDN == "") != (c.BindPassword == "") {
		bad("bind_dn and bind_password go together")
	}
	if c.UserFilter != "" {
		if _, err := ldap.CompileFilter(fillFilter(c.UserFilter, "x", "x@y", "")); err != nil {
			bad("user_filter: %v", err)
		}
	}
	if c.GroupFilter != "" {
		if _, err := ldap.CompileFilter(fillFilter(c.GroupFilter, "x", "x@y", "cn=x")); err != nil {
			bad("group_filter: %v", err)
		}
	}
	if c.SyncFilter != "" {
		if _, err := ldap.CompileFilter(c.SyncFilter); err != nil {
			bad("sync_filter: %v", err)
		}
	}
	if c.SyncInterval != 0 && (c.SyncInterval < Duration(MinSyncInterval) || c.SyncInterval > Duration(7*24*time.Hour)) {
		bad("sync_interval must be between %s and 168h", MinSyncInterval)
	}
	if c.SyncInterval != 0 && c.BindDN == "" && !c.AnonymousSearch {
		bad("sync_interval needs bind_dn or anonymous_search")
	}
	if c.CAFile != "" {
		if _, err := loadCA(c.CAFile); err != nil {
			bad("%v", err)
		}
	}
	if c.GroupAttribute != "" && c.GroupFilter != "" {
		bad("group_attribute and group_filter: choose one")
	}
	if c.UserDNTemplate != "" && !strings.Contains(c.UserDNTemplate, "{user}") {
		bad("user_dn_template must contain {user}")
	}
	for name, d := range map[string]Duration{"dial_timeout": c.DialTimeout, "op_timeout": c.OpTimeout, "login_timeout": c.LoginTimeout} {
		if d < 0 || d > Duration(time.Minute) {
			bad("%s must be between 0 and 1m", name)
		}
	}
	return errors.Join(errs...)
}

// validDomain accepts DNS names and NetBIOS names: letters, digits, '-',
// '_' and '.', 1 to 253 characters.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// fillFilter puts the escaped account name, UPN and DN into a filter.
func fillFilter(f, user, upn, dn string) string {
	return strings.NewReplacer(
		"{user}", ldap.EscapeFilter(user),
		"{upn}", ldap.EscapeFilter(upn),
		"{dn}", ldap.EscapeFilter(dn),
	).Replace(f)
}

// loadCA reads a PEM bundle of trusted CA certificates.
func loadCA(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s: no PEM certificate", file)
	}
	return pool, nil
}
