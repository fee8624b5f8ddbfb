package ldapauth

import (
	"strings"
	"testing"
)

func TestParseLogin(t *testing.T) {
	tests := []struct {
		in   string
		want Login
		bad  bool
	}{
		{in: `ACME\alice`, want: Login{Domain: "ACME", User: "alice"}},
		{in: "alice@acme.example", want: Login{Domain: "acme.example", User: "alice"}},
		{in: " alice ", want: Login{User: "alice"}},
		{in: "uid=alice,ou=people,dc=acme,dc=example", want: Login{DN: "uid=alice,ou=people,dc=acme,dc=example"}},
		{in: `cn=Smith\, John,dc=acme,dc=example`, want: Login{DN: `cn=Smith\, John,dc=acme,dc=example`}},
		{in: "first.last@sub.acme.example", want: Login{Domain: "sub.acme.example", User: "first.last"}},
		{in: "", bad: true},
		{in: `ACME\`, bad: true},
		{in: `\alice`, bad: true},
		{in: "@acme.example", bad: true},
		{in: "alice@acme", bad: true},
		{in: `ACME\a\b`, bad: true},
		{in: "al ice", bad: true},
		{in: "alice\x00", bad: true},
		{in: "a=", bad: true},
		{in: "alice)(uid=*", bad: true},
		{in: "2.5.4.3=alice,dc=x", want: Login{DN: "2.5.4.3=alice,dc=x"}},
		{in: strings.Repeat("a", 257), bad: true},
		{in: "al ice@x.example", bad: true},
		{in: `AC ME\alice`, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLogin(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseLogin(%q) = %+v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseLogin(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

// FuzzParseLogin: any input either fails cleanly or gives a login whose
// parts are consistent and that parses again to itself.
func FuzzParseLogin(f *testing.F) {
	for _, s := range []string{`ACME\alice`, "alice@acme.example", "alice", "uid=a,dc=b", `cn=a\,b,dc=c`, "=", `\`, "@", "a@b@c.d", "x\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLogin(s)
		if err != nil {
			return
		}
		if l.DN == "" && l.User == "" {
			t.Fatalf("ParseLogin(%q) = %+v: no user and no DN", s, l)
		}
		again, err := ParseLogin(l.String())
		if err != nil || again != l {
			t.Fatalf("ParseLogin(%q) = %+v; its String %q parses to %+v, %v", s, l, l.String(), again, err)
		}
	})
}
