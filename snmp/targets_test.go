package snmp

import (
	"errors"
	"testing"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name  string
		specs []string
		want  []string // first addresses
		count int
		err   bool
	}{
		{"host", []string{"192.0.2.7"}, []string{"192.0.2.7"}, 1, false},
		{"host port", []string{"printer.lan:1161"}, []string{"printer.lan:1161"}, 1, false},
		{"default port", []string{"192.0.2.7:161"}, []string{"192.0.2.7"}, 1, false},
		{"ipv6 port", []string{"[2001:db8::1]:1161"}, []string{"[2001:db8::1]:1161"}, 1, false},
		{"cidr /24", []string{"127.0.1.0/24"}, []string{"127.0.1.1", "127.0.1.2"}, 254, false},
		{"cidr /32", []string{"127.0.1.9/32"}, []string{"127.0.1.9"}, 1, false},
		{"cidr port", []string{"127.0.1.0/30:1161"}, []string{"127.0.1.1:1161", "127.0.1.2:1161"}, 2, false},
		{"range", []string{"127.0.1.250-127.0.2.3"}, []string{"127.0.1.250"}, 10, false},
		{"short range", []string{"127.0.1.10-20"}, []string{"127.0.1.10"}, 11, false},
		{"dedup", []string{"127.0.1.1", "127.0.1.0/30"}, []string{"127.0.1.1", "127.0.1.2"}, 2, false},
		{"empty", []string{""}, nil, 0, true},
		{"backwards", []string{"127.0.1.9-3"}, nil, 0, true},
		{"too big", []string{"10.0.0.0/8"}, nil, 0, true},
		{"bad port", []string{"127.0.0.1:99999"}, nil, 0, true},
		{"junk", []string{"not a host!"}, nil, 0, true},
		{"mixed family", []string{"127.0.0.1-::1"}, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTargets(tt.specs, []Credential{{Community: "public"}})
			if tt.err {
				if !errors.Is(err, ErrBadTarget) {
					t.Fatalf("err = %v, want ErrBadTarget", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.count {
				t.Fatalf("%d targets, want %d", len(got), tt.count)
			}
			for i, w := range tt.want {
				if got[i].Address() != w {
					t.Errorf("target %d = %s, want %s", i, got[i].Address(), w)
				}
				if len(got[i].Credentials) != 1 {
					t.Errorf("target %d has %d credentials", i, len(got[i].Credentials))
				}
			}
		})
	}
}

func TestModelFromDescr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"RICOH Aficio MP C3002 2.20 / RICOH Network Printer C model", "RICOH Aficio MP C3002"},
		{"Xerox Color 570;System 55.40.61,ESS1.208.6", "Xerox Color 570"},
		{"Lexmark T640 version NS.NP.N219 kernel 2.6.6 All-N-1", "Lexmark T640"},
		{"Canon iR-ADV C5235 /P", "Canon iR-ADV C5235"},
		{"Develop ineo  280", "Develop ineo  280"},
	}
	for _, tt := range tests {
		if got := modelFromDescr(tt.in); got != tt.want {
			t.Errorf("modelFromDescr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCredentialRedacts(t *testing.T) {
	c := Credential{Community: "s3cret", AuthPassphrase: "p"}
	if s := c.Community.String(); s != "<redacted>" {
		t.Fatalf("String() = %q", s)
	}
	b, _ := c.Community.MarshalJSON()
	if string(b) != `"<redacted>"` {
		t.Fatalf("MarshalJSON = %s", b)
	}
}
