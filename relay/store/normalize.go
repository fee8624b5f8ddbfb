package store

import (
	"errors"
	"net/mail"
	"strings"
)

// Limits on the keys a store indexes by.
const (
	maxCardLen  = 64
	maxEmailLen = 254
	maxCodeLen  = 32
)

// NormalizeCard returns the canonical form of a card number: trimmed, upper
// case, hex digits only (decimal numbers are a subset). Readers and agents
// convert what a reader sends into this form before looking a card up.
func NormalizeCard(card string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(card))
	if c == "" {
		return "", errors.New("card number is empty")
	}
	if len(c) > maxCardLen {
		return "", errors.New("card number is too long")
	}
	for _, r := range c {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'F') {
			return "", errors.New("card number must be hex digits")
		}
	}
	return c, nil
}

// NormalizeEmail returns the canonical form of an email address: trimmed,
// lower case, a bare address without a display name.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", errors.New("email is empty")
	}
	if len(e) > maxEmailLen {
		return "", errors.New("email is too long")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return "", errors.New("email is not a valid address")
	}
	return e, nil
}

// NormalizeCompanyCode returns the canonical form of a company code: trimmed,
// upper case, 2 to 32 letters, digits, '-' or '_'.
func NormalizeCompanyCode(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) < 2 || len(c) > maxCodeLen {
		return "", errors.New("company code must be 2 to 32 characters")
	}
	for _, r := range c {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return "", errors.New("company code may hold only letters, digits, '-' and '_'")
		}
	}
	return c, nil
}
