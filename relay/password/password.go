package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// Default is what Hash uses.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on what Verify accepts from a stored hash, so a corrupt or planted
// record cannot make one verification take gigabytes or minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 64
	maxKeyLen  = 128
	maxSaltLen = 64
	// MaxLength bounds the passwords Hash and Verify accept.
	MaxLength = 1024
)

var (
	// ErrMismatch is returned by Verify for a wrong password.
	ErrMismatch = errors.New("password: mismatch")
	// ErrFormat is returned by Verify for a hash it cannot read.
	ErrFormat = errors.New("password: unsupported hash format")
	// ErrTooLong is returned for passwords over MaxLength bytes.
	ErrTooLong = errors.New("password: too long")
)

// argon2id takes Memory KiB per call; bounding concurrent calls bounds the
// memory a burst of logins can take.
var slots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// Hash returns the PHC string of password under Default parameters.
func Hash(password string) (string, error) {
	return HashWith(password, Default)
}

// HashWith returns the PHC string of password under p.
func HashWith(password string, p Params) (string, error) {
	if len(password) > MaxLength {
		return "", ErrTooLong
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	sum := derive(password, salt, p)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

// Verify checks password against the PHC string encoded. It returns nil,
// ErrMismatch, or an error for an unreadable hash.
func Verify(encoded, password string) error {
	if len(password) > MaxLength {
		return ErrMismatch
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(derive(password, salt, p), want) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether encoded was made with weaker parameters than
// Default.
func NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p.Memory < Default.Memory || p.Time < Default.Time || p.Threads < Default.Threads
}

// dummy is a hash of nothing anybody types, verified when there is no user
// so that a wrong email costs as long as a wrong password.
var dummy = sync.OnceValue(func() string {
	h, _ := Hash("edgeprint: no such user")
	return h
})

// Burn spends the time of one verification, for the paths where there is no
// hash to verify (unknown user): the answer's timing must not tell.
func Burn(password string) { _ = Verify(dummy(), password) }

func derive(password string, salt []byte, p Params) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

func decode(encoded string) (p Params, salt, sum []byte, err error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrFormat
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrFormat
	}
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || n != 3 {
		return p, nil, nil, ErrFormat
	}
	if p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory || p.Time < 1 || p.Time > maxTime || p.Threads < 1 {
		return p, nil, nil, ErrFormat
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > maxSaltLen {
		return p, nil, nil, ErrFormat
	}
	if sum, err = b64.DecodeString(parts[5]); err != nil || len(sum) < 16 || len(sum) > maxKeyLen {
		return p, nil, nil, ErrFormat
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(sum))
	return p, salt, sum, nil
}
