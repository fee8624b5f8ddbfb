package snmp

import (
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// Decode turns the variables read from one device into a Printer. It is
// pure and total: any list of variables, of any types, gives a Printer;
// what cannot be read is left empty.
func Decode(address string, pdus []gosnmp.SnmpPDU) Printer {
	return decode(address, newVarSet(pdus))
}

func decode(address string, vs varSet) Printer {
	p := Printer{
		Address:     address,
		Description: vs.str(oidSysDescr),
		SysObjectID: vs.oid(oidSysObjectID),
		Name:        vs.str(oidSysName),
		Location:    vs.str(oidSysLocation),
	}
	v, _ := lookupVendor(p.SysObjectID)
	hrDescr := printerDeviceDescr(vs)
	p.Model, p.Manufacturer = model(vs, v, p.Description, p.SysObjectID, hrDescr)
	p.Serial = serial(vs, v, p.Description)
	p.MAC = primaryMAC(vs)
	p.Color = isColor(vs)
	p.Duplex = isDuplex(vs)
	p.Languages = languages(vs, v)
	p.Status, p.Errors = status(vs)
	p.Supplies = supplies(vs)
	if n, ok := vs.int(oidPrtMarkerLifeCount); ok && n >= 0 {
		p.PageCount = &n
	}
	p.ColorPageCount = firstCounter(vs, v.colorCounterOIDs)
	p.MonoPageCount = firstCounter(vs, v.monoCounterOIDs)
	return p
}

// isPrinter tells a printer from any other SNMP agent: it has the Printer
// MIB, an hrPrinter device, or a sysObjectID a vendor uses for printers.
func isPrinter(vs varSet) bool {
	if vs.hasPrefix(oidPrinterMIB) {
		return true
	}
	for _, r := range vs.column(oidHrDeviceEntry, colHrDeviceType) {
		if t, _ := r.pdu.Value.(string); strings.TrimPrefix(t, ".") == oidHrDevicePrinter {
			return true
		}
	}
	_, ok := lookupVendor(vs.oid(oidSysObjectID))
	return ok
}

// printerDeviceDescr is hrDeviceDescr of the first hrDevicePrinter row, or
// of the first row when no row has a type.
func printerDeviceDescr(vs varSet) string {
	for _, r := range vs.column(oidHrDeviceEntry, colHrDeviceType) {
		if t, _ := r.pdu.Value.(string); strings.TrimPrefix(t, ".") == oidHrDevicePrinter {
			if d := vs.str(oidHrDeviceEntry + "." + strconv.Itoa(colHrDeviceDescr) + "." + r.index); d != "" {
				return d
			}
		}
	}
	for _, r := range vs.column(oidHrDeviceEntry, colHrDeviceDescr) {
		if d := pduString(r.pdu); d != "" {
			return d
		}
	}
	return ""
}

// model picks the model and the manufacturer. The manufacturer is the brand
// the device shows (OEM brands differ from the sysObjectID's enterprise).
func model(vs varSet, v vendor, sysDescr, sysObjectID, hrDescr string) (model, manufacturer string) {
	var candidates []string
	for _, oid := range v.modelOIDs {
		candidates = append(candidates, vs.str(oid))
	}
	for _, oid := range append(slices.Clone(v.deviceIDOIDs), oidHPDeviceID) {
		id := parseDeviceID(vs.str(oid))
		candidates = append(candidates, firstNonEmpty(id["MDL"], id["MODEL"]))
	}
	if v.sysDescrModel != nil {
		if m := v.sysDescrModel.FindStringSubmatch(sysDescr); len(m) > 1 {
			candidates = append(candidates, m[1])
		}
	}
	candidates = append(candidates, hrDescr)
	if v.modelInObjectID != "" {
		candidates = append(candidates, asciiInOID(sysObjectID, v.modelInObjectID))
	}
	if !v.sysDescrNotModel && sysDescr != "" {
		candidates = append(candidates, modelFromDescr(sysDescr))
	}

	manufacturer = v.manufacturer
	if b, _, ok := brandOf(sysDescr); ok {
		manufacturer = b
	}
	for _, c := range candidates {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if manufacturer == "" {
			if b, _, ok := brandOf(c); ok {
				manufacturer = b
			}
		}
		if b, rest, ok := brandOf(c); ok && b == manufacturer && rest != "" {
			c = rest
		}
		for _, suf := range v.trimModelSuffix {
			if len(c) > len(suf) && strings.EqualFold(c[len(c)-len(suf):], suf) {
				c = strings.TrimSpace(c[:len(c)-len(suf)])
			}
		}
		return c, manufacturer
	}
	if manufacturer == "" {
		if b, _, ok := brandOf(hrDescr); ok {
			manufacturer = b
		}
	}
	return "", manufacturer
}

var versionToken = regexp.MustCompile(`^[vV]?[0-9]+(\.[0-9]+)+[a-zA-Z]?$`)

// modelFromDescr cuts a sysDescr such as "RICOH MP C3002 2.20 / RICOH
// Network Printer" or "Xerox Color 570;System 55.40" down to the model.
func modelFromDescr(s string) string {
	for _, sep := range []string{";", " version ", " /", ",", " : "} {
		s, _, _ = strings.Cut(s, sep)
	}
	s = strings.TrimSpace(s)
	fields := strings.Fields(s)
	if n := len(fields); n > 1 && versionToken.MatchString(fields[n-1]) {
		s = strings.TrimSpace(s[:strings.LastIndex(s, fields[n-1])])
	}
	return s
}

// parseDeviceID splits an IEEE 1284 device ID ("MFG:HP;MDL:LaserJet;...")
// into upper-case keys and trimmed values.
func parseDeviceID(s string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		k, val, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		if _, dup := out[k]; !dup {
			out[k] = strings.TrimSpace(val)
		}
	}
	return out
}

// asciiInOID reads a length-prefixed ASCII string after prefix in oid:
// PREFIX.N.c1.c2...cN.
func asciiInOID(oid, prefix string) string {
	rest, ok := strings.CutPrefix(oid, prefix+".")
	if !ok {
		return ""
	}
	arcs := strings.Split(rest, ".")
	n, err := strconv.Atoi(arcs[0])
	if err != nil || n <= 0 || n > 64 || len(arcs) < n+1 {
		return ""
	}
	b := make([]byte, 0, n)
	for _, a := range arcs[1 : n+1] {
		c, err := strconv.Atoi(a)
		if err != nil || c < 0x20 || c > 0x7e {
			return ""
		}
		b = append(b, byte(c))
	}
	return string(b)
}

func serial(vs varSet, v vendor, sysDescr string) string {
	if s := vs.str(oidPrtGeneralSerialNumber); s != "" {
		return s
	}
	for _, oid := range v.serialOIDs {
		if s := vs.str(oid); s != "" {
			return s
		}
	}
	if v.sysDescrSerial != nil {
		if m := v.sysDescrSerial.FindStringSubmatch(sysDescr); len(m) > 1 {
			return m[1]
		}
	}
	return ""
}

// primaryMAC is the ifPhysAddress of the lowest ifIndex that is up and not
// a loopback, else of the lowest ifIndex with any MAC.
func primaryMAC(vs varSet) string {
	var fallback string
	for _, r := range vs.column(oidIfEntry, colIfPhysAddress) {
		b, _ := r.pdu.Value.([]byte)
		if r.pdu.Type != gosnmp.OctetString || len(b) != 6 || allZero(b) {
			continue
		}
		mac := net.HardwareAddr(b).String()
		typ, _ := vs.int(oidIfEntry + "." + strconv.Itoa(colIfType) + "." + r.index)
		up, _ := vs.int(oidIfEntry + "." + strconv.Itoa(colIfOperStatus) + "." + r.index)
		if up == 1 && typ != 24 {
			return mac
		}
		if fallback == "" {
			fallback = mac
		}
	}
	return fallback
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

var processColors = []string{"cyan", "magenta", "yellow", "red", "green", "blue"}

// isColor: more than one process colorant, else a colour among the
// colorants or supply names; nil when the device says nothing.
func isColor(vs varSet) *bool {
	if n, ok := vs.int(oidPrtMarkerProcessColorants); ok && n > 0 {
		return ptr(n > 1)
	}
	texts := []string{}
	for _, r := range vs.column(oidPrtMarkerColorantEntry, colColorantValue) {
		texts = append(texts, pduString(r.pdu))
	}
	known := len(texts) > 0
	for _, r := range vs.column(oidPrtMarkerSuppliesEntry, colSupplyDescription) {
		texts = append(texts, pduString(r.pdu))
	}
	for _, t := range texts {
		t = strings.ToLower(t)
		for _, c := range processColors {
			if strings.Contains(t, c) {
				return ptr(true)
			}
		}
	}
	if known {
		return ptr(false)
	}
	return nil
}

// isDuplex: a media path of type longEdgeBindingDuplex(3) or
// shortEdgeBindingDuplex(4).
func isDuplex(vs varSet) *bool {
	rows := vs.column(oidPrtMediaPathEntry, colMediaPathType)
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if t, ok := pduInt(r.pdu); ok && (t == 3 || t == 4) {
			return ptr(true)
		}
	}
	return ptr(false)
}

// langFamilies names PrtInterpreterLangFamilyTC values (RFC 3805) that
// print jobs are sent in.
var langFamilies = map[int64]string{
	3: "PCL", 4: "HP-GL", 5: "PJL", 6: "PostScript", 7: "IPDS", 8: "PPDS",
	9: "ESC/P", 10: "Epson", 18: "SPDL", 30: "Text", 35: "NPDL", 39: "LIPS",
	40: "TIFF", 43: "CaPSL", 44: "EXCL", 47: "PCL XL", 50: "Prescribe",
	54: "PDF", 55: "RPDL", 61: "JPEG",
}

func languages(vs varSet, v vendor) []string {
	var out []string
	addLang := func(l string) {
		if l != "" && !slices.Contains(out, l) && len(out) < 32 {
			out = append(out, l)
		}
	}
	for _, r := range vs.column(oidPrtInterpreterEntry, colInterpreterLangFamily) {
		if n, ok := pduInt(r.pdu); ok {
			addLang(langFamilies[n])
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, oid := range append(slices.Clone(v.deviceIDOIDs), oidHPDeviceID) {
		id := parseDeviceID(vs.str(oid))
		for _, l := range strings.Split(firstNonEmpty(id["CMD"], id["COMMAND SET"]), ",") {
			addLang(strings.TrimSpace(l))
		}
	}
	return out
}

var printerStatuses = map[int64]string{1: "other", 2: "unknown", 3: "idle", 4: "printing", 5: "warmup"}

// errorBits names hrPrinterDetectedErrorState bits (RFC 3805 amends RFC
// 2790); bit 0 is the most significant bit of the first octet.
var errorBits = []string{
	"low-paper", "no-paper", "low-toner", "no-toner", "door-open", "jammed", "offline", "service-requested",
	"input-tray-missing", "output-tray-missing", "marker-supply-missing", "output-near-full", "output-full",
	"input-tray-empty", "overdue-preventive-maintenance",
}

func status(vs varSet) (string, []string) {
	var st string
	var errs []string
	rows := vs.column(oidHrPrinterEntry, colHrPrinterStatus)
	if len(rows) == 0 {
		// Some printers (Ricoh's Aficio MP C3002) leave hrPrinterStatus
		// out but keep the error state.
		rows = vs.column(oidHrPrinterEntry, colHrPrinterDetectedErrs)
	}
	if len(rows) > 0 { // the first printer is the one we report
		r := rows[0]
		if n, ok := pduInt(r.pdu); ok {
			st = printerStatuses[n]
		}
		b := vs.bytes(oidHrPrinterEntry + "." + strconv.Itoa(colHrPrinterDetectedErrs) + "." + r.index)
		for i, name := range errorBits {
			if i/8 < len(b) && b[i/8]&(0x80>>(i%8)) != 0 {
				errs = append(errs, name)
			}
		}
		dev, _ := vs.int(oidHrDeviceEntry + "." + strconv.Itoa(colHrDeviceStatus) + "." + r.index)
		switch {
		case dev == 5:
			st = "down"
		case dev == 3 && (st == "idle" || st == ""):
			st = "warning"
		}
	}
	return st, errs
}

var supplyKinds = map[int64]string{
	3: "toner", 4: "waste-toner", 5: "ink", 6: "ink-cartridge", 7: "ink-ribbon", 8: "waste-ink",
	9: "drum", 10: "developer", 11: "fuser-oil", 15: "fuser", 18: "cleaner", 20: "transfer-unit",
	21: "toner-cartridge", 32: "staples",
}

func supplies(vs varSet) []Supply {
	colorants := map[string]string{}
	for _, r := range vs.column(oidPrtMarkerColorantEntry, colColorantValue) {
		// index is hrDeviceIndex.prtMarkerColorantIndex
		_, ci, _ := strings.Cut(r.index, ".")
		colorants[ci] = pduString(r.pdu)
	}
	cell := func(col int, idx string) string {
		return oidPrtMarkerSuppliesEntry + "." + strconv.Itoa(col) + "." + idx
	}
	var out []Supply
	for _, r := range vs.column(oidPrtMarkerSuppliesEntry, colSupplyDescription) {
		s := Supply{Name: pduString(r.pdu), Level: -2, Max: -2}
		if lvl, ok := vs.int(cell(colSupplyLevel, r.index)); ok {
			s.Level = int(max(min(lvl, 1<<31-1), -3))
		}
		if m, ok := vs.int(cell(colSupplyMaxCapacity, r.index)); ok {
			s.Max = int(max(min(m, 1<<31-1), -2))
		}
		if t, ok := vs.int(cell(colSupplyType, r.index)); ok {
			s.Kind = supplyKinds[t]
		}
		if ci, ok := vs.int(cell(colSupplyColorantIndex, r.index)); ok && ci > 0 {
			s.Color = colorants[strconv.FormatInt(ci, 10)]
		}
		if s.Max > 0 && s.Level >= 0 {
			s.Percent = ptr(min(100, int(int64(s.Level)*100/int64(s.Max))))
		}
		out = append(out, s)
	}
	return out
}

func firstCounter(vs varSet, oids []string) *int64 {
	for _, oid := range oids {
		if n, ok := vs.int(oid); ok && n >= 0 {
			return &n
		}
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }
