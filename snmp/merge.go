package snmp

import (
	"net"
	"slices"
	"strings"
)

// SameDevice reports whether two findings are one device: the same serial
// (with the same manufacturer, when both know it), else the same MAC, else
// the same host when neither has a serial or MAC to tell them apart.
func SameDevice(a, b Printer) bool {
	if a.Serial != "" && b.Serial != "" {
		return strings.EqualFold(a.Serial, b.Serial) &&
			(a.Manufacturer == "" || b.Manufacturer == "" || strings.EqualFold(a.Manufacturer, b.Manufacturer))
	}
	if a.MAC != "" && b.MAC != "" {
		return strings.EqualFold(a.MAC, b.MAC)
	}
	return hostOf(a.Address) == hostOf(b.Address)
}

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// Merge folds findings of one device (by serial, then MAC, then host) into
// one Printer: the first finding's address stays the address, the others
// become OtherAddresses, and each empty field is filled from the later
// findings. Order is kept.
func Merge(found []Printer) []Printer {
	var out []Printer
	for _, p := range found {
		i := slices.IndexFunc(out, func(q Printer) bool { return SameDevice(q, p) })
		if i < 0 {
			out = append(out, p)
			continue
		}
		out[i] = mergeInto(out[i], p)
	}
	return out
}

// mergeInto fills a's empty fields from b and records b's address.
func mergeInto(a, b Printer) Printer {
	if hostOf(b.Address) != hostOf(a.Address) && !slices.Contains(a.OtherAddresses, b.Address) {
		a.OtherAddresses = append(a.OtherAddresses, b.Address)
	}
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&a.Manufacturer, b.Manufacturer)
	fill(&a.Model, b.Model)
	fill(&a.Serial, b.Serial)
	fill(&a.MAC, b.MAC)
	fill(&a.Name, b.Name)
	fill(&a.Location, b.Location)
	fill(&a.Description, b.Description)
	fill(&a.SysObjectID, b.SysObjectID)
	fill(&a.Status, b.Status)
	fill(&a.Credential, b.Credential)
	if a.Color == nil {
		a.Color = b.Color
	}
	if a.Duplex == nil {
		a.Duplex = b.Duplex
	}
	if len(a.Languages) == 0 {
		a.Languages = b.Languages
	}
	if len(a.Supplies) == 0 {
		a.Supplies = b.Supplies
	}
	if a.PageCount == nil {
		a.PageCount = b.PageCount
	}
	if a.ColorPageCount == nil {
		a.ColorPageCount = b.ColorPageCount
	}
	if a.MonoPageCount == nil {
		a.MonoPageCount = b.MonoPageCount
	}
	for _, s := range b.Sources {
		if !slices.Contains(a.Sources, s) {
			a.Sources = append(a.Sources, s)
		}
	}
	return a
}
