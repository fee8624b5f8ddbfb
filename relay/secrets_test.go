package relay

import (
	"regexp"
	"testing"
)

func TestSecretFormats(t *testing.T) {
	tests := []struct {
		name string
		gen  func() string
		re   string
	}{
		{"id", newID, `^[0-9a-f]{32}$`},
		{"api token", newAPIToken, `^ept_[A-Za-z0-9_-]{43}$`},
		{"agent secret", newAgentSecret, `^[A-Za-z0-9_-]{43}$`},
		{"activation code", newActivationCode, `^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			re := regexp.MustCompile(tc.re)
			seen := map[string]bool{}
			for range 200 {
				s := tc.gen()
				if !re.MatchString(s) {
					t.Fatalf("%q does not match %s", s, tc.re)
				}
				if seen[s] {
					t.Fatalf("%q made twice", s)
				}
				seen[s] = true
			}
		})
	}
	if normalizeActivationCode(" k7qf-m2xp 9htw") != "K7QFM2XP9HTW" {
		t.Fatal("activation code not normalised")
	}
}
