package mdnsbrowse

import (
	"net"
	"strings"
	"testing"
)

func TestFromEntry(t *testing.T) {
	tests := []struct {
		name              string
		text              []string
		mfg, model, where string
		color             *bool
	}{
		{"usb keys", []string{"txtvers=1", "usb_MFG=HP", "usb_MDL=Color LaserJet M452nw", "ty=HP Color LaserJet M452nw", "note=2nd floor", "Color=T"}, "HP", "Color LaserJet M452nw", "2nd floor", ptr(true)},
		{"product only", []string{"product=(Aficio MP C3002)", "ty=RICOH Aficio MP C3002", "Color=F"}, "RICOH", "Aficio MP C3002", "", ptr(false)},
		{"first key wins", []string{"ty=A", "TY=B"}, "A", "A", "", nil},
		{"junk", []string{"=x", "novalue", strings.Repeat("x", 1000)}, "", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := FromEntry("_ipp._tcp", "Printer", "printer.local.", 631, []net.IP{net.IPv4(192, 0, 2, 7)}, nil, tt.text)
			if d.Manufacturer != tt.mfg || d.Model != tt.model || d.Location != tt.where {
				t.Errorf("got %q %q %q", d.Manufacturer, d.Model, d.Location)
			}
			if (d.Color == nil) != (tt.color == nil) || d.Color != nil && *d.Color != *tt.color {
				t.Errorf("color = %v", d.Color)
			}
			if d.Address() != "192.0.2.7" {
				t.Errorf("address = %s", d.Address())
			}
		})
	}
}

func FuzzFromEntry(f *testing.F) {
	f.Add("HP\x00", "host.local.", 631, "usb_MFG=HP\nusb_MDL=M1\nColor=T\npdl=application/pdf,image/urf")
	f.Add("", "", -1, "=\n\n\xff\xfe=\x00")
	f.Fuzz(func(t *testing.T, instance, host string, port int, txt string) {
		d := FromEntry("_ipp._tcp", instance, host, port, []net.IP{net.IPv4(192, 0, 2, 1), nil}, []net.IP{{1, 2}}, strings.Split(txt, "\n"))
		if len(d.Instance) > maxNameLen || len(d.Model) > maxTXTLen || len(d.PDLs) > 32 {
			t.Fatalf("over limits: %+v", d)
		}
		if d.Port < 0 || d.Port > 65535 {
			t.Fatalf("port %d", d.Port)
		}
	})
}

func ptr[T any](v T) *T { return &v }
