// Package ldapauth checks a person's credentials against a company's own
// directory (OpenLDAP or Active Directory) with a simple bind, and reads
// who they are: DN, email, name, groups and badge number.
//
// It runs in the site agent, the only part of edgeprint that can reach the
// directory. Passwords live in memory for one Authenticate call and are
// never logged or stored. A directory that is down or slow yields
// ErrDirectoryUnavailable within a bounded time; only a successful bind as
// the user yields an identity. README.md tells the steps of a login.
package ldapauth
