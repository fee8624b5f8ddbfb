package ldapauth

import (
	"errors"
	"strings"
	"unicode"

	"github.com/go-ldap/ldap/v3"
)

// ErrBadUsername is a username that cannot be a directory login.
var ErrBadUsername = errors.New("ldapauth: malformed username")

// Login is a username as typed, in one of its forms:
//
//	ACME\alice                      NetBIOS domain and account name
//	alice@acme.example              UPN
//	alice                           account name alone
//	uid=alice,ou=people,dc=acme,... a DN
type Login struct {
	// Domain is the NetBIOS or UPN domain; "" for a bare name or a DN.
	Domain string
	// User is the account name without its domain; "" for a DN.
	User string
	// DN is set for a DN login.
	DN string
}

// ParseLogin splits a username into its parts. It refuses empty names,
// names over 256 bytes, control characters and half-qualified names
// ("ACME\", "@acme.example").
func ParseLogin(s string) (Login, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxUsernameLen {
		return Login{}, ErrBadUsername
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return Login{}, ErrBadUsername
		}
	}
	if strings.Contains(s, "=") {
		dn, err := ldap.ParseDN(s)
		if err != nil || len(dn.RDNs) == 0 {
			return Login{}, ErrBadUsername
		}
		for _, rdn := range dn.RDNs {
			for _, a := range rdn.Attributes {
				if !validAttrType(a.Type) || a.Value == "" {
					return Login{}, ErrBadUsername
				}
			}
		}
		return Login{DN: s}, nil
	}
	var l Login
	if d, u, ok := strings.Cut(s, `\`); ok {
		l = Login{Domain: d, User: u}
	} else if i := strings.LastIndexByte(s, '@'); i >= 0 {
		l = Login{Domain: s[i+1:], User: s[:i]}
		if !strings.Contains(l.Domain, ".") {
			return Login{}, ErrBadUsername
		}
	} else {
		l = Login{User: s}
	}
	if l.User == "" || strings.ContainsAny(l.User, `\@`) || strings.ContainsFunc(l.User, unicode.IsSpace) {
		return Login{}, ErrBadUsername
	}
	if s != l.User && !validDomain(l.Domain) {
		return Login{}, ErrBadUsername
	}
	return l, nil
}

// String is the login as a UPN, DOMAIN\user, name or DN.
func (l Login) String() string {
	switch {
	case l.DN != "":
		return l.DN
	case l.Domain == "":
		return l.User
	case strings.Contains(l.Domain, "."):
		return l.User + "@" + l.Domain
	}
	return l.Domain + `\` + l.User
}

// validAttrType accepts an attribute descriptor (a letter, then letters,
// digits and '-') or a numeric OID, as RFC 4512 allows in a DN.
func validAttrType(t string) bool {
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' {
		for _, part := range strings.Split(t, ".") {
			if part == "" || strings.Trim(part, "0123456789") != "" {
				return false
			}
		}
		return true
	}
	for i, r := range t {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return true
}
