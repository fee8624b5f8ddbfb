package snmp

import (
	"regexp"
	"strings"
)

// vendor is what discovery knows about one manufacturer beyond the standard
// MIBs. Quirks live here as data, one entry per enterprise, each with the
// place its values were seen; the reading code has no vendor ifs.
type vendor struct {
	enterprise   int
	manufacturer string
	// printerPrefixes limits which sysObjectIDs of the enterprise are
	// printers (HP and Dell also make servers and switches). Empty: all.
	printerPrefixes []string
	// modelOIDs hold the bare model name; tried first.
	modelOIDs []string
	// deviceIDOIDs hold an IEEE 1284 device ID; MDL/MODEL is the model.
	deviceIDOIDs []string
	// sysDescrModel, when it matches sysDescr, gives the model in its first
	// group and wins over hrDeviceDescr.
	sysDescrModel *regexp.Regexp
	// sysDescrNotModel: sysDescr names the network card, not the printer.
	sysDescrNotModel bool
	// modelInObjectID: below this prefix, sysObjectID carries the model as
	// a length-prefixed ASCII string.
	modelInObjectID string
	// trimModelSuffix is removed from the end of the model (case-insensitive).
	trimModelSuffix []string
	// serialOIDs are read when prtGeneralSerialNumber is missing.
	serialOIDs []string
	// sysDescrSerial, when it matches sysDescr, gives the serial.
	sysDescrSerial *regexp.Regexp
	// colorCounterOIDs and monoCounterOIDs are page counters.
	colorCounterOIDs []string
	monoCounterOIDs  []string
}

// vendors is keyed by IANA enterprise number (the arc after 1.3.6.1.4.1 in
// sysObjectID). Origins name the capture in testdata/snmp (../shared) where
// the OID was seen with the value a peer tool expects, or the MIB.
var vendors = map[int]vendor{
	11: { // HP-LASERJET-COMMON-MIB; hp-*.snmprec
		manufacturer:    "HP",
		printerPrefixes: []string{"1.3.6.1.4.1.11.2.3.9"},
		// gdStatusId: MDL is the marketing model ("LaserJet MFP M129-M134"
		// where hrDeviceDescr says "M130nw"), which LibreNMS reports.
		deviceIDOIDs:   []string{oidHPDeviceID},
		sysDescrSerial: regexp.MustCompile(`\bSN:([A-Za-z0-9]+)`),
	},
	236: { // Samsung; samsung-*.snmprec: hrDeviceDescr is the series ("M408x Series"), sysDescr the model
		manufacturer:  "Samsung",
		sysDescrModel: regexp.MustCompile(`(?i)^Samsung (.+?)(?: OS [0-9]|;|$)`),
	},
	253: { // Xerox; xerox-altalink-c8045.snmprec: xcmHrDevDetailValue device ID
		manufacturer: "Xerox",
		deviceIDOIDs: []string{"1.3.6.1.4.1.253.8.51.1.2.1.20.1"},
	},
	297: { // Fuji Xerox / Fujifilm Business Innovation; fuji*.snmprec (sysDescr names the brand)
		manufacturer: "Fuji Xerox",
	},
	367: { // Ricoh and its OEM brands (Gestetner, Lanier, Savin, NRG); ricoh-aficio-mp-c3002, gestetner-mpc2500
		manufacturer: "Ricoh",
		modelOIDs:    []string{"1.3.6.1.4.1.367.3.2.1.1.1.1.0"}, // ricohSysName
		serialOIDs:   []string{"1.3.6.1.4.1.367.3.2.1.2.1.4.0"}, // ricohEngSerialNumber
	},
	641: { // Lexmark (also Toshiba and Dell OEM models); lexmark-t640, toshiba-e-studio305cs
		manufacturer: "Lexmark",
	},
	674: { // Dell; dell-*.snmprec: hrDeviceDescr appends serial and firmware
		manufacturer:    "Dell",
		printerPrefixes: []string{"1.3.6.1.4.1.674.10898"},
		sysDescrModel:   regexp.MustCompile(`(?i)^Dell (.+?)(?: version |;|$)`),
	},
	683: { // Zebra print servers; zebra-zebranet-79071.snmprec, LibreNMS os "zebra"
		manufacturer: "Zebra",
		modelOIDs:    []string{"1.3.6.1.4.1.683.1.4.0"}, // print server model code
		serialOIDs:   []string{"1.3.6.1.4.1.683.1.5.0"},
	},
	1129: { // Toshiba TEC; toshiba-e-studio2505ac.snmprec
		manufacturer: "Toshiba",
	},
	1248: { // Epson; epson-*.snmprec: sysDescr is the print server, sysObjectID spells the model
		manufacturer:     "Epson",
		sysDescrNotModel: true,
		modelInObjectID:  "1.3.6.1.4.1.1248.1.1.2.1.3",
	},
	1347: { // Kyocera and UTAX; kyocera-fs-1028mfp, utax-p-4532dn (KYOCERA-PRIVATE-MIB)
		manufacturer:     "Kyocera",
		sysDescrNotModel: true,                                       // "KYOCERA Document Solutions Printing System"
		modelOIDs:        []string{"1.3.6.1.4.1.1347.43.5.1.1.1.1"},  // kcprtGeneralModelName
		serialOIDs:       []string{"1.3.6.1.4.1.1347.43.5.1.1.28.1"}, // kcprtSerialNumber
	},
	1602: { // Canon; canon-*.snmprec
		manufacturer: "Canon",
	},
	2001: { // OKI Data; oki-*.snmprec: sysDescr is the OkiLAN card "Attached to MODEL"
		manufacturer:  "OKI",
		sysDescrModel: regexp.MustCompile(`Attached to (\S+)`),
	},
	2385: { // Sharp; sharp-*.snmprec
		manufacturer: "Sharp",
	},
	2435: { // Brother; brother-*.snmprec (hrDeviceDescr "HL-5370DW series")
		manufacturer:    "Brother",
		trimModelSuffix: []string{" series"},
		serialOIDs:      []string{"1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0"},
	},
	18334: { // Konica Minolta and Develop; konica-*.snmprec: the private model OID wins (LibreNMS)
		manufacturer: "Konica Minolta",
		modelOIDs:    []string{"1.3.6.1.4.1.18334.1.1.1.1.6.2.1.0"},
	},
}

// brand matches the manufacturer a device shows in sysDescr or its model,
// which for OEM devices differs from the enterprise in sysObjectID. Order
// matters: longer names first.
type brand struct {
	name string
	re   *regexp.Regexp // anchored at the start of the text
}

var brands = func() []brand {
	list := []struct{ name, pattern string }{
		{"Fuji Xerox", `FUJI[ _-]?XEROX`},
		{"Fujifilm", `FUJIFILM`},
		{"Konica Minolta", `KONICA[ _-]?MINOLTA`},
		{"HP", `(?:HP|Hewlett[ -]Packard)`},
		{"UTAX", `(?:TA_)?UTAX`},
		{"Develop", `Develop`},
		{"Gestetner", `Gestetner`},
		{"Lanier", `LANIER`},
		{"Savin", `SAVIN`},
		{"NRG", `NRG`},
		{"Ricoh", `RICOH`},
		{"Kyocera", `KYOCERA`},
		{"Toshiba", `TOSHIBA`},
		{"Lexmark", `Lexmark`},
		{"Dell", `Dell`},
		{"Brother", `Brother`},
		{"Canon", `Canon`},
		{"Epson", `EPSON`},
		{"OKI", `OKI`},
		{"Samsung", `Samsung`},
		{"Sharp", `SHARP`},
		{"Xerox", `Xerox`},
		{"Zebra", `Zebra`},
	}
	out := make([]brand, 0, len(list))
	for _, b := range list {
		out = append(out, brand{b.name, regexp.MustCompile(`(?i)^` + b.pattern + `(?:\b|Net)`)})
	}
	return out
}()

// brandOf returns the brand a text starts with and the text after it.
func brandOf(s string) (name, rest string, ok bool) {
	s = strings.TrimSpace(s)
	for _, b := range brands {
		if loc := b.re.FindStringIndex(s); loc != nil {
			return b.name, strings.TrimSpace(s[loc[1]:]), true
		}
	}
	return "", s, false
}

// enterpriseOf returns the enterprise number in a sysObjectID, or -1.
func enterpriseOf(oid string) int {
	rest, ok := strings.CutPrefix(oid, oidEnterprises+".")
	if !ok {
		return -1
	}
	arc, _, _ := strings.Cut(rest, ".")
	n := 0
	for _, c := range arc {
		if c < '0' || c > '9' || n > 1<<24 {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if arc == "" {
		return -1
	}
	return n
}

// lookupVendor returns the vendor entry for a sysObjectID and whether the
// object ID is one of the vendor's printers.
func lookupVendor(sysObjectID string) (vendor, bool) {
	v, ok := vendors[enterpriseOf(sysObjectID)]
	if !ok {
		return vendor{}, false
	}
	if len(v.printerPrefixes) == 0 {
		return v, true
	}
	for _, p := range v.printerPrefixes {
		if sysObjectID == p || strings.HasPrefix(sysObjectID, p+".") {
			return v, true
		}
	}
	return v, false
}
