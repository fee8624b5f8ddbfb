package snmp

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// Limits on what a device may hand us. A printer is untrusted input: values
// are cut, not trusted, and a wrong type reads as "missing".
const (
	maxStringLen = 512 // bytes kept of any OCTET STRING
	maxTableRows = 256 // rows kept per column in a walk
)

// varSet holds the variables read from one device, by OID without the
// leading dot. Only the first value seen for an OID is kept.
type varSet map[string]gosnmp.SnmpPDU

func newVarSet(pdus []gosnmp.SnmpPDU) varSet {
	vs := make(varSet, len(pdus))
	for _, p := range pdus {
		vs.add(p)
	}
	return vs
}

func (vs varSet) add(p gosnmp.SnmpPDU) {
	name := strings.TrimPrefix(p.Name, ".")
	if name == "" {
		return
	}
	switch p.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView, gosnmp.Null:
		return
	}
	if _, dup := vs[name]; dup {
		return
	}
	p.Name = name
	vs[name] = p
}

// str returns an OCTET STRING as cleaned text: valid UTF-8, no control
// characters, trimmed, at most maxStringLen bytes.
func (vs varSet) str(oid string) string {
	p, ok := vs[oid]
	if !ok {
		return ""
	}
	return pduString(p)
}

func pduString(p gosnmp.SnmpPDU) string {
	var b []byte
	switch v := p.Value.(type) {
	case []byte:
		if p.Type != gosnmp.OctetString {
			return ""
		}
		b = v
	case string:
		if p.Type != gosnmp.OctetString && p.Type != gosnmp.ObjectIdentifier {
			return ""
		}
		b = []byte(v)
	default:
		return ""
	}
	return cleanText(b)
}

func cleanText(b []byte) string {
	if len(b) > maxStringLen {
		b = b[:maxStringLen]
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == utf8.RuneError && n <= 1:
			continue
		case r == '\t' || r == '\r' || r == '\n':
			sb.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			continue
		default:
			sb.WriteRune(r)
		}
	}
	return strings.TrimSpace(sb.String())
}

// bytes returns an OCTET STRING's raw bytes, cut at maxStringLen.
func (vs varSet) bytes(oid string) []byte {
	p, ok := vs[oid]
	if !ok || p.Type != gosnmp.OctetString {
		return nil
	}
	b, _ := p.Value.([]byte)
	if len(b) > maxStringLen {
		b = b[:maxStringLen]
	}
	return b
}

// oid returns an OBJECT IDENTIFIER value without the leading dot.
func (vs varSet) oid(oid string) string {
	p, ok := vs[oid]
	if !ok || p.Type != gosnmp.ObjectIdentifier {
		return ""
	}
	s, _ := p.Value.(string)
	if len(s) > maxStringLen {
		return ""
	}
	return strings.TrimPrefix(s, ".")
}

// int returns an integer of any SNMP integer type.
func (vs varSet) int(oid string) (int64, bool) {
	p, ok := vs[oid]
	if !ok {
		return 0, false
	}
	return pduInt(p)
}

func pduInt(p gosnmp.SnmpPDU) (int64, bool) {
	switch p.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
	default:
		return 0, false
	}
	switch v := p.Value.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint:
		return int64(min(uint64(v), 1<<62)), true
	case uint32:
		return int64(v), true
	case uint64:
		return int64(min(v, 1<<62)), true
	}
	return 0, false
}

// row is one cell of a table column: the index after the column OID.
type row struct {
	index string
	pdu   gosnmp.SnmpPDU
}

// column returns the cells of entry.col in index order, at most
// maxTableRows.
func (vs varSet) column(entry string, col int) []row {
	prefix := entry + "." + strconv.Itoa(col) + "."
	var rows []row
	for name, p := range vs {
		if idx, ok := strings.CutPrefix(name, prefix); ok && idx != "" {
			rows = append(rows, row{idx, p})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return oidLess(rows[i].index, rows[j].index) })
	if len(rows) > maxTableRows {
		rows = rows[:maxTableRows]
	}
	return rows
}

func (vs varSet) hasPrefix(prefix string) bool {
	for name := range vs {
		if strings.HasPrefix(name, prefix+".") {
			return true
		}
	}
	return false
}

// oidLess compares dotted numeric OIDs arc by arc; non-numeric arcs sort
// as text after numeric ones.
func oidLess(a, b string) bool {
	for a != "" && b != "" {
		var x, y string
		x, a, _ = strings.Cut(a, ".")
		y, b, _ = strings.Cut(b, ".")
		if x == y {
			continue
		}
		nx, ex := strconv.ParseUint(x, 10, 64)
		ny, ey := strconv.ParseUint(y, 10, 64)
		switch {
		case ex == nil && ey == nil:
			return nx < ny
		case ex == nil:
			return true
		case ey == nil:
			return false
		default:
			return x < y
		}
	}
	return a == "" && b != ""
}
