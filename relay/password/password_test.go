package password

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestHashFormat(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(h) {
		t.Fatalf("hash %q is not the PHC argon2id format with OWASP parameters", h)
	}
	if h2, _ := Hash("correct horse"); h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if NeedsRehash(h) {
		t.Fatal("fresh hash needs rehash")
	}
}

func TestVerify(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	weak, _ := HashWith("pw", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	tests := []struct {
		name     string
		hash, pw string
		want     error
	}{
		{"right", h, "correct horse", nil},
		{"wrong", h, "correct horse ", ErrMismatch},
		{"empty", h, "", ErrMismatch},
		{"too long", h, strings.Repeat("a", MaxLength+1), ErrMismatch},
		{"weaker params still verify", weak, "pw", nil},
		{"argon2i", strings.Replace(h, "argon2id", "argon2i", 1), "correct horse", ErrFormat},
		{"huge memory", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "x", ErrFormat},
		{"garbage", "nope", "x", ErrFormat},
		{"empty hash", "", "x", ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.hash, tc.pw); !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
	if !NeedsRehash(weak) {
		t.Fatal("weak hash does not need rehash")
	}
}

func FuzzVerify(f *testing.F) {
	h, _ := HashWith("pw", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	f.Add(h, "pw")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		// Keep the fuzzer from spending its time in argon2 itself.
		if p, _, _, err := decode(encoded); err == nil && (p.Memory > 1024 || p.Time > 2) {
			return
		}
		_ = Verify(encoded, pw)
	})
}
