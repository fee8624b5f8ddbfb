package update

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of verification; each means the download was thrown away.
var (
	ErrBadSignature = errors.New("update: signature does not verify")
	ErrBadChecksum  = errors.New("update: SHA-256 does not match")
	ErrBadSize      = errors.New("update: size does not match (partial download?)")
	ErrNoKey        = errors.New("update: no release public key built in")
)

// Release describes one signed build of the agent.
type Release struct {
	Version   string `json:"version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`    // lower-case hex
	Signature string `json:"signature"` // base64 Ed25519 over Message()
}

// Message is what is signed: the digest together with what the binary
// claims to be, so a signed build cannot be replayed as another version,
// OS or architecture.
func (r Release) Message() []byte {
	return fmt.Appendf(nil, "edgeprint-release-v1\nversion=%s\nos=%s\narch=%s\nsize=%d\nsha256=%s\n",
		r.Version, r.OS, r.Arch, r.Size, strings.ToLower(r.SHA256))
}

// Sign fills in r's signature.
func (r *Release) Sign(priv ed25519.PrivateKey) {
	r.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, r.Message()))
}

// VerifySignature checks r's signature with pub.
func (r Release) VerifySignature(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return ErrNoKey
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil || !ed25519.Verify(pub, r.Message(), sig) {
		return ErrBadSignature
	}
	return nil
}

// PublicKey is the base64 Ed25519 key releases are verified with, set at
// build time: -ldflags "-X github.com/edgeprint/edgeprint/update.PublicKey=…".
// Empty means this build does not update itself.
var PublicKey = ""

// ParsePublicKey decodes a base64 Ed25519 public key.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	if s == "" {
		return nil, ErrNoKey
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("update: public key is not a base64 Ed25519 key")
	}
	return ed25519.PublicKey(b), nil
}

// Newer reports whether version a is later than b. Versions are dotted
// numbers with an optional leading "v" and "-suffix"; a suffix (pre-release
// or a dev build) sorts before the same numbers without one.
func Newer(a, b string) bool {
	an, as := splitVersion(a)
	bn, bs := splitVersion(b)
	for i := 0; i < max(len(an), len(bn)); i++ {
		var x, y int
		if i < len(an) {
			x = an[i]
		}
		if i < len(bn) {
			y = bn[i]
		}
		if x != y {
			return x > y
		}
	}
	switch {
	case as == bs:
		return false
	case as == "":
		return true
	case bs == "":
		return false
	}
	return as > bs
}

func splitVersion(v string) ([]int, string) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	num, suffix, _ := strings.Cut(v, "-")
	var out []int
	for _, p := range strings.Split(num, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, v
		}
		out = append(out, n)
	}
	return out, suffix
}
