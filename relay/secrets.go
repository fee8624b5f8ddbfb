package relay

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// tokenPrefix marks edgeprint API tokens, so secret scanners and people
// recognise one.
const tokenPrefix = "ept_"

// codeAlphabet has no characters people mistake for each other (0/O, 1/I/L).
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newID returns a random record id: 16 bytes, hex.
func newID() string {
	return hex.EncodeToString(randomBytes(16))
}

// newAPIToken returns an admin API token: "ept_" and 32 random bytes,
// base64url.
func newAPIToken() string {
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// newAgentSecret returns an agent secret: 32 random bytes, base64url.
func newAgentSecret() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// newPassword returns a generated password a person can copy.
func newPassword() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(18))
}

// newActivationCode returns a code like K7QF-M2XP-9HTW: 12 characters of
// codeAlphabet, about 59 bits.
func newActivationCode() string {
	var b strings.Builder
	for i := 0; i < 12; {
		for _, r := range randomBytes(16) {
			// Reject the top of the byte range so every character is
			// equally likely.
			if int(r) >= 256-256%len(codeAlphabet) || i == 12 {
				continue
			}
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(codeAlphabet[int(r)%len(codeAlphabet)])
			i++
		}
	}
	return b.String()
}

// normalizeActivationCode makes what a person typed comparable: upper case,
// without dashes or spaces.
func normalizeActivationCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// hashSecret is what the store keeps of a token, agent secret or
// activation code: its SHA-256. The secrets are random and long, so no
// slow hash is needed.
func hashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// randomBytes panics only if the OS random source fails, which Go's
// crypto/rand already treats as fatal.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
