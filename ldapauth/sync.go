package ldapauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// DefaultSyncFilter selects the people a directory sync imports.
const DefaultSyncFilter = "(&(objectClass=person)(|(mail=*)(userPrincipalName=*)))"

const (
	// SyncTimeout bounds one whole import from one directory.
	SyncTimeout = 2 * time.Minute
	// MinSyncInterval is the shortest sync_interval allowed.
	MinSyncInterval = time.Second
	// maxSyncUsers bounds what one import reads.
	maxSyncUsers = 100_000
	syncPageSize = 500
)

// ErrSyncNotConfigured: sync needs a service account or anonymous search.
var ErrSyncNotConfigured = errors.New("ldapauth: sync needs bind_dn or anonymous_search")

// Users reads every person matching sync_filter, for an import into the
// relay: DN, email, name, badge number and admin flag (membership of
// admin_group, read from the group's member list or the entry's
// group_attribute). No password is read. Servers are tried in order as for
// a login.
func (c *Client) Users(ctx context.Context) ([]Identity, error) {
	if c.cfg.BindDN == "" && !c.cfg.AnonymousSearch {
		return nil, ErrSyncNotConfigured
	}
	ctx, cancel := context.WithTimeout(ctx, SyncTimeout)
	defer cancel()
	var last error
	for _, server := range c.cfg.Servers {
		users, err := c.readUsers(ctx, server)
		if err == nil {
			return users, nil
		}
		c.log.Warn("directory sync: server failed", "server", server, "err", err)
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("%w: %v", ErrDirectoryUnavailable, last)
}

func (c *Client) readUsers(ctx context.Context, server string) ([]Identity, error) {
	conn, err := c.connect(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if c.cfg.BindDN != "" {
		if _, err := conn.SimpleBind(&ldap.SimpleBindRequest{Username: c.cfg.BindDN, Password: c.cfg.BindPassword.Reveal()}); err != nil {
			return nil, fmt.Errorf("service account bind: %w", err)
		}
	}
	admins, err := c.adminMembers(conn)
	if err != nil {
		return nil, err
	}
	filter := c.cfg.SyncFilter
	if filter == "" {
		filter = DefaultSyncFilter
	}
	attrs := []string{c.cfg.EmailAttribute, "displayName", "cn", "userPrincipalName"}
	for _, a := range []string{c.cfg.NameAttribute, c.cfg.GroupAttribute, c.cfg.CardAttribute} {
		if a != "" {
			attrs = append(attrs, a)
		}
	}
	res, err := conn.SearchWithPaging(ldap.NewSearchRequest(c.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		maxSyncUsers, 0, false, filter, attrs, nil), syncPageSize)
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, fmt.Errorf("search users: %w", err)
	}
	out := make([]Identity, 0, len(res.Entries))
	for _, e := range res.Entries {
		var groups []string
		if c.cfg.GroupAttribute != "" {
			groups = e.GetAttributeValues(c.cfg.GroupAttribute)
		}
		id := c.identity(e, Login{}, groups)
		if id.Email == "" {
			continue
		}
		if !id.Admin && admins[strings.ToLower(e.DN)] {
			id.Admin = true
		}
		out = append(out, id)
	}
	return out, nil
}

// adminMembers reads the member DNs of admin_group (lower case), when
// groups are searched rather than listed on the user's entry.
func (c *Client) adminMembers(conn *ldap.Conn) (map[string]bool, error) {
	out := map[string]bool{}
	if c.cfg.AdminGroup == "" || c.cfg.GroupAttribute != "" {
		return out, nil
	}
	res, err := conn.Search(ldap.NewSearchRequest(c.cfg.AdminGroup, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, int(c.op/time.Second)+1, false, "(objectClass=*)", []string{"member", "uniqueMember"}, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		c.log.Warn("directory sync: admin_group not found", "group", c.cfg.AdminGroup)
		return out, nil
	} else if err != nil {
		return nil, fmt.Errorf("read admin group: %w", err)
	}
	for _, e := range res.Entries {
		for _, a := range []string{"member", "uniqueMember"} {
			for _, dn := range e.GetAttributeValues(a) {
				out[strings.ToLower(dn)] = true
			}
		}
	}
	return out, nil
}
