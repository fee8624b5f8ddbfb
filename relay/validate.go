package relay

import (
	"net"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxNameLen  = 200
	maxCards    = 16
	minPassword = 8
)

// cleanName trims s and checks it is 1 to maxNameLen characters of
// printable text; field names the value in the error.
func cleanName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", badRequest("%s is required", field)
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLen:
		return "", badRequest("%s must be at most %d characters", field, maxNameLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", badRequest("%s must not hold control characters", field)
	}
	return s, nil
}

// cleanHost checks that s is an IP address or a DNS name, without a port.
func cleanHost(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", badRequest("%s is required", field)
	}
	if net.ParseIP(s) != nil {
		return s, nil
	}
	if len(s) > 253 {
		return "", badRequest("%s is too long", field)
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", badRequest("%s %q is not an IP address or a host name", field, s)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", badRequest("%s %q is not an IP address or a host name", field, s)
			}
		}
	}
	return s, nil
}
