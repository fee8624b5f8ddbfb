package ldapauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Errors of Authenticate. Only a nil error is an accept.
var (
	// ErrInvalidCredentials: wrong password, unknown user, empty password
	// or a malformed name. The cases are not told apart.
	ErrInvalidCredentials = errors.New("ldapauth: invalid credentials")
	// ErrAccountLocked is an ErrInvalidCredentials the directory says is a
	// locked account (OpenLDAP ppolicy, Active Directory "data 775").
	ErrAccountLocked = fmt.Errorf("%w: account locked", ErrInvalidCredentials)
	// ErrDirectoryUnavailable: no server answered in time, TLS failed, or
	// the service account was refused. The login can be tried again later.
	ErrDirectoryUnavailable = errors.New("ldapauth: directory unavailable")
	// ErrUnknownDomain: the name's domain is not served here.
	ErrUnknownDomain = errors.New("ldapauth: domain not served")
)

// Limits on what a directory may answer.
const (
	maxGroups       = 1000
	maxAttrValueLen = 1024
)

// Identity is who a directory says a user is.
type Identity struct {
	DN     string   `json:"dn"`
	Email  string   `json:"email"`
	Name   string   `json:"name"`
	Groups []string `json:"groups"`
	Admin  bool     `json:"admin"`
	// Card is the badge number from the card attribute, as stored.
	Card string `json:"card,omitempty"`
}

// Client authenticates against one directory. It keeps no connection
// open between logins and is safe for concurrent use.
type Client struct {
	cfg  Config
	tls  *tls.Config
	log  *slog.Logger
	dial time.Duration
	op   time.Duration
	all  time.Duration
}

// New checks cfg and loads its CA file.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ldapauth: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.UserFilter == "" {
		cfg.UserFilter = DefaultUserFilter
	}
	if cfg.EmailAttribute == "" {
		cfg.EmailAttribute = "mail"
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile != "" {
		var err error
		if tc.RootCAs, err = loadCA(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("ldapauth: %w", err)
		}
	}
	return &Client{
		cfg: cfg, tls: tc, log: logger.With("domain", cfg.Domains[0]),
		dial: cfg.DialTimeout.or(DefaultDialTimeout),
		op:   cfg.OpTimeout.or(DefaultOpTimeout),
		all:  cfg.LoginTimeout.or(DefaultLoginTimeout),
	}, nil
}

// Config is the client's configuration, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// Authenticate binds as the user with password and returns their identity.
// Servers are tried in order until one answers; the whole call takes at
// most the login timeout. The password is used for the bind only.
func (c *Client) Authenticate(ctx context.Context, username, password string) (Identity, error) {
	if password == "" || len(password) > maxPasswordLen {
		// An empty password would be an unauthenticated bind, which
		// LDAP servers answer with success: never send one.
		return Identity{}, ErrInvalidCredentials
	}
	login, err := ParseLogin(username)
	if err != nil {
		return Identity{}, ErrInvalidCredentials
	}
	if login.Domain != "" && !c.cfg.Serves(login.Domain) {
		return Identity{}, ErrUnknownDomain
	}
	ctx, cancel := context.WithTimeout(ctx, c.all)
	defer cancel()
	var last error
	for _, server := range c.cfg.Servers {
		id, err := c.attempt(ctx, server, login, password)
		if err == nil || errors.Is(err, ErrInvalidCredentials) {
			return id, err
		}
		c.log.Warn("directory server failed", "server", server, "err", err)
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return Identity{}, fmt.Errorf("%w: %v", ErrDirectoryUnavailable, last)
}

// attempt runs one login on one server. Its errors are
// ErrInvalidCredentials or a reason the server could not answer.
func (c *Client) attempt(ctx context.Context, server string, login Login, password string) (Identity, error) {
	conn, err := c.connect(ctx, server)
	if err != nil {
		return Identity{}, err
	}
	defer conn.Close()
	// Cancellation (the relay gave up) closes the connection at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	if c.cfg.BindDN != "" || c.cfg.AnonymousSearch {
		return c.searchThenBind(conn, login, password)
	}
	return c.bindThenRead(conn, login, password)
}

// connect dials server (TLS for ldaps://, StartTLS if configured) with a
// deadline on the socket, so no read or write of this attempt outlives
// ctx.
func (c *Client) connect(ctx context.Context, server string) (*ldap.Conn, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	host := u.Host
	if u.Port() == "" {
		port := "389"
		if u.Scheme == "ldaps" {
			port = "636"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	tc := c.tls.Clone()
	tc.ServerName = u.Hostname()

	dctx, cancel := context.WithTimeout(ctx, c.dial)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(deadline)
	}
	if u.Scheme == "ldaps" {
		t := tls.Client(nc, tc)
		if err := t.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		nc = t
	}
	conn := ldap.NewConn(nc, u.Scheme == "ldaps")
	conn.Start()
	conn.SetTimeout(c.op)
	if c.cfg.StartTLS {
		if err := conn.StartTLS(tc); err != nil {
			conn.Close()
			return nil, fmt.Errorf("starttls: %w", err)
		}
	}
	return conn, nil
}

// searchThenBind finds the user's entry as the service account (or
// anonymously), then binds as the entry's DN with password.
func (c *Client) searchThenBind(conn *ldap.Conn, login Login, password string) (Identity, error) {
	if c.cfg.BindDN != "" {
		if _, err := conn.SimpleBind(&ldap.SimpleBindRequest{Username: c.cfg.BindDN, Password: c.cfg.BindPassword.Reveal()}); err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				return Identity{}, errors.New("service account bind_dn refused: check bind_password")
			}
			return Identity{}, fmt.Errorf("service account bind: %w", err)
		}
	}
	entry, err := c.findUser(conn, login)
	if err != nil {
		return Identity{}, err
	}
	groups, err := c.groups(conn, entry, login)
	if err != nil {
		return Identity{}, err
	}
	if err := c.bindUser(conn, entry.DN, password); err != nil {
		return Identity{}, err
	}
	return c.identity(entry, login, groups), nil
}

// bindThenRead binds as the user by name, then reads their own entry.
func (c *Client) bindThenRead(conn *ldap.Conn, login Login, password string) (Identity, error) {
	name := login.DN
	switch {
	case name != "":
	case c.cfg.UserDNTemplate != "":
		name = strings.ReplaceAll(c.cfg.UserDNTemplate, "{user}", ldap.EscapeDN(login.User))
		login.DN = name
	case login.Domain != "":
		name = login.String() // Active Directory takes DOMAIN\user and UPNs
	default:
		name = c.upn(login)
	}
	if err := c.bindUser(conn, name, password); err != nil {
		return Identity{}, err
	}
	entry, err := c.findUser(conn, login)
	if err != nil {
		if errors.Is(err, ErrInvalidCredentials) {
			// Bound, but cannot see their own entry: a directory
			// that is not set up for us, not a wrong password.
			return Identity{}, errors.New("bound as the user but cannot read their entry: check base_dn and user_filter")
		}
		return Identity{}, err
	}
	groups, err := c.groups(conn, entry, login)
	if err != nil {
		return Identity{}, err
	}
	return c.identity(entry, login, groups), nil
}

// bindUser binds as dn with password, asking for the password policy
// control so that a locked account can be told apart.
func (c *Client) bindUser(conn *ldap.Conn, dn, password string) error {
	res, err := conn.SimpleBind(&ldap.SimpleBindRequest{
		Username: dn, Password: password,
		Controls: []ldap.Control{ldap.NewControlBeheraPasswordPolicy()},
	})
	if err == nil {
		return nil
	}
	if ldap.IsErrorAnyOf(err, ldap.LDAPResultInvalidCredentials, ldap.LDAPResultInvalidDNSyntax,
		ldap.LDAPResultInappropriateAuthentication, ldap.LDAPResultNoSuchObject) {
		if locked(res, err) {
			return ErrAccountLocked
		}
		return ErrInvalidCredentials
	}
	return fmt.Errorf("bind: %w", err)
}

func locked(res *ldap.SimpleBindResult, err error) bool {
	if res != nil {
		for _, ctl := range res.Controls {
			if pp, ok := ctl.(*ldap.ControlBeheraPasswordPolicy); ok && pp.Error == 1 { // accountLocked
				return true
			}
		}
	}
	// Active Directory: "80090308: LdapErr: ... data 775" is a locked account.
	return strings.Contains(err.Error(), "data 775")
}

// findUser returns the user's entry: the DN itself for a DN login, else
// the one entry the user filter finds. None, or more than one, is
// ErrInvalidCredentials.
func (c *Client) findUser(conn *ldap.Conn, login Login) (*ldap.Entry, error) {
	base, scope, filter := c.cfg.BaseDN, ldap.ScopeWholeSubtree, fillFilter(c.cfg.UserFilter, login.User, c.upn(login), "")
	if login.DN != "" {
		base, scope, filter = login.DN, ldap.ScopeBaseObject, "(objectClass=*)"
	}
	attrs := []string{c.cfg.EmailAttribute, "displayName", "cn", "userPrincipalName"}
	for _, a := range []string{c.cfg.NameAttribute, c.cfg.GroupAttribute, c.cfg.CardAttribute} {
		if a != "" {
			attrs = append(attrs, a)
		}
	}
	res, err := conn.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 2, int(c.op/time.Second)+1, false, filter, attrs, nil))
	switch {
	case ldap.IsErrorAnyOf(err, ldap.LDAPResultNoSuchObject, ldap.LDAPResultInvalidDNSyntax):
		return nil, ErrInvalidCredentials
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || err == nil && len(res.Entries) > 1:
		c.log.Warn("user filter matches more than one entry; refusing the login", "user", login.String())
		return nil, ErrInvalidCredentials
	case err != nil:
		return nil, fmt.Errorf("search user: %w", err)
	case len(res.Entries) == 0:
		return nil, ErrInvalidCredentials
	}
	return res.Entries[0], nil
}

// groups lists the DNs of the user's groups.
func (c *Client) groups(conn *ldap.Conn, entry *ldap.Entry, login Login) ([]string, error) {
	var out []string
	switch {
	case c.cfg.GroupAttribute != "":
		out = entry.GetAttributeValues(c.cfg.GroupAttribute)
	case c.cfg.GroupFilter != "":
		filter := fillFilter(c.cfg.GroupFilter, login.User, c.upn(login), entry.DN)
		res, err := conn.Search(ldap.NewSearchRequest(c.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			maxGroups, int(c.op/time.Second)+1, false, filter, []string{"1.1"}, nil))
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			return nil, fmt.Errorf("search groups: %w", err)
		}
		if res != nil {
			for _, e := range res.Entries {
				out = append(out, e.DN)
			}
		}
	}
	if len(out) > maxGroups {
		out = out[:maxGroups]
	}
	return out, nil
}

func (c *Client) identity(e *ldap.Entry, login Login, groups []string) Identity {
	id := Identity{DN: e.DN, Groups: groups}
	if id.Groups == nil {
		id.Groups = []string{}
	}
	id.Email = firstValue(e, c.cfg.EmailAttribute, "userPrincipalName")
	if id.Email == "" && login.User != "" {
		id.Email = c.upn(login)
	}
	id.Name = firstValue(e, c.cfg.NameAttribute, "displayName", "cn")
	if id.Name == "" {
		id.Name = id.Email
	}
	if c.cfg.CardAttribute != "" {
		id.Card = firstValue(e, c.cfg.CardAttribute)
	}
	if c.cfg.AdminGroup != "" {
		admin, err := ldap.ParseDN(c.cfg.AdminGroup)
		for _, g := range groups {
			if dn, gerr := ldap.ParseDN(g); err == nil && gerr == nil && admin.EqualFold(dn) {
				id.Admin = true
			}
		}
	}
	return id
}

// upn is the login as user@domain: as typed for a UPN, else completed
// with the first DNS domain served.
func (c *Client) upn(l Login) string {
	if strings.Contains(l.Domain, ".") {
		return l.User + "@" + l.Domain
	}
	if s := c.cfg.upnSuffix(); s != "" && l.User != "" {
		return l.User + "@" + s
	}
	return l.User
}

func firstValue(e *ldap.Entry, attrs ...string) string {
	for _, a := range attrs {
		if a == "" {
			continue
		}
		if v := strings.TrimSpace(e.GetAttributeValue(a)); v != "" && len(v) <= maxAttrValueLen {
			return v
		}
	}
	return ""
}
