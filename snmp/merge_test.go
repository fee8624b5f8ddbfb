package snmp

import (
	"slices"
	"testing"
)

func TestMerge(t *testing.T) {
	tests := []struct {
		name  string
		in    []Printer
		want  int
		addrs []string // OtherAddresses of the first result
	}{
		{"serial", []Printer{
			{Address: "10.0.0.1", Serial: "X1", Manufacturer: "HP", Sources: []string{"snmp"}},
			{Address: "10.0.0.9", Serial: "x1", MAC: "aa:bb:cc:dd:ee:ff", Sources: []string{"mdns"}},
		}, 1, []string{"10.0.0.9"}},
		{"serial differs, mac same", []Printer{
			{Address: "10.0.0.1", Serial: "X1", MAC: "aa:bb:cc:dd:ee:ff"},
			{Address: "10.0.0.2", Serial: "X2", MAC: "aa:bb:cc:dd:ee:ff"},
		}, 2, nil},
		{"mac", []Printer{
			{Address: "10.0.0.1", MAC: "aa:bb:cc:dd:ee:ff"},
			{Address: "10.0.0.2", MAC: "AA:BB:CC:DD:EE:FF", Model: "M1"},
		}, 1, []string{"10.0.0.2"}},
		{"host only", []Printer{
			{Address: "10.0.0.1", Sources: []string{"mdns"}},
			{Address: "10.0.0.1", Model: "M", Serial: "S", Sources: []string{"snmp"}},
		}, 1, nil},
		{"distinct", []Printer{{Address: "10.0.0.1"}, {Address: "10.0.0.2"}}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(tt.in)
			if len(got) != tt.want {
				t.Fatalf("%d printers, want %d: %+v", len(got), tt.want, got)
			}
			if !slices.Equal(got[0].OtherAddresses, tt.addrs) {
				t.Errorf("other addresses = %v, want %v", got[0].OtherAddresses, tt.addrs)
			}
		})
	}
	m := Merge([]Printer{
		{Address: "10.0.0.1", Sources: []string{"mdns"}},
		{Address: "10.0.0.1", Model: "M", Serial: "S", Sources: []string{"snmp"}},
	})[0]
	if m.Model != "M" || m.Serial != "S" || !slices.Equal(m.Sources, []string{"mdns", "snmp"}) {
		t.Errorf("merged = %+v", m)
	}
}
