package relay

import (
	"strings"
	"testing"
)

// FuzzParseDomains feeds the domains header of a tunnel handshake, which an
// authenticated but possibly buggy agent controls, to its parser.
func FuzzParseDomains(f *testing.F) {
	for _, s := range []string{"acme.example,ACME", "", ",,,", " a , b ", strings.Repeat("x,", 100), strings.Repeat("y", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		ds := parseDomains(h)
		if len(ds) > maxDomains {
			t.Fatalf("%d domains, limit %d", len(ds), maxDomains)
		}
		for _, d := range ds {
			if d == "" || len(d) > 253 || d != strings.TrimSpace(d) || strings.Contains(d, ",") {
				t.Fatalf("parseDomains(%q) holds %q", h, d)
			}
		}
	})
}
