package snmprec

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// Limits on a recording: it is a file from elsewhere, not trusted.
const (
	MaxRecords  = 100_000
	maxLineSize = 1 << 16
	maxArcs     = 128
)

// ErrFormat wraps every parse error.
var ErrFormat = errors.New("snmprec: bad record")

// Record is one variable of a recording.
type Record struct {
	OID  string // numeric, no leading dot
	arcs []uint32
	PDU  gosnmp.SnmpPDU
}

// Walk is a recording sorted by OID.
type Walk struct {
	Records []Record
}

// Parse reads a recording. Records may come in any order; a repeated OID
// keeps its first value.
func Parse(r io.Reader) (*Walk, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLineSize)
	w := &Walk{}
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rec, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, n, err)
		}
		if seen[rec.OID] {
			continue
		}
		seen[rec.OID] = true
		if len(w.Records) >= MaxRecords {
			return nil, fmt.Errorf("%w: more than %d records", ErrFormat, MaxRecords)
		}
		w.Records = append(w.Records, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("snmprec: read: %w", err)
	}
	slices.SortFunc(w.Records, func(a, b Record) int { return compareArcs(a.arcs, b.arcs) })
	return w, nil
}

func parseLine(line string) (Record, error) {
	oid, rest, ok := strings.Cut(line, "|")
	if !ok {
		return Record{}, errors.New("no tag")
	}
	tag, value, ok := strings.Cut(rest, "|")
	if !ok {
		return Record{}, errors.New("no value")
	}
	oid = strings.TrimPrefix(oid, ".")
	arcs, err := parseOID(oid)
	if err != nil {
		return Record{}, err
	}
	pdu := gosnmp.SnmpPDU{Name: "." + oid}
	isHex := strings.HasSuffix(tag, "x")
	tag = strings.TrimSuffix(tag, "x")
	raw := value
	if isHex {
		b, err := hex.DecodeString(value)
		if err != nil {
			return Record{}, fmt.Errorf("hex value: %v", err)
		}
		raw = string(b)
	}
	switch tag {
	case "2":
		n, err := strconv.ParseInt(raw, 10, 32)
		if err != nil {
			return Record{}, fmt.Errorf("integer: %v", err)
		}
		pdu.Type, pdu.Value = gosnmp.Integer, int(n)
	case "4":
		pdu.Type, pdu.Value = gosnmp.OctetString, []byte(raw)
	case "5":
		pdu.Type, pdu.Value = gosnmp.Null, nil
	case "6":
		if _, err := parseOID(strings.TrimPrefix(raw, ".")); err != nil {
			return Record{}, fmt.Errorf("object identifier: %v", err)
		}
		pdu.Type, pdu.Value = gosnmp.ObjectIdentifier, "."+strings.TrimPrefix(raw, ".")
	case "64":
		var a netip.Addr
		if isHex && len(raw) == 4 {
			a = netip.AddrFrom4([4]byte([]byte(raw)))
		} else if a, err = netip.ParseAddr(raw); err != nil || !a.Is4() {
			return Record{}, fmt.Errorf("ip address %q", raw)
		}
		pdu.Type, pdu.Value = gosnmp.IPAddress, a.String()
	case "65", "66", "67":
		n, err := strconv.ParseUint(raw, 10, 32)
		if err != nil {
			return Record{}, fmt.Errorf("unsigned: %v", err)
		}
		pdu.Type = map[string]gosnmp.Asn1BER{"65": gosnmp.Counter32, "66": gosnmp.Gauge32, "67": gosnmp.TimeTicks}[tag]
		pdu.Value = uint32(n)
	case "70":
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return Record{}, fmt.Errorf("counter64: %v", err)
		}
		pdu.Type, pdu.Value = gosnmp.Counter64, n
	default:
		return Record{}, fmt.Errorf("unknown tag %q", tag)
	}
	return Record{OID: oid, arcs: arcs, PDU: pdu}, nil
}

func parseOID(s string) ([]uint32, error) {
	if s == "" {
		return nil, errors.New("empty oid")
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > maxArcs {
		return nil, fmt.Errorf("oid %q: %d arcs", s, len(parts))
	}
	arcs := make([]uint32, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("oid %q: %v", s, err)
		}
		arcs[i] = uint32(n)
	}
	// BER packs the first two arcs into one (X.690 8.19).
	if arcs[0] > 2 || arcs[0] < 2 && arcs[1] >= 40 || arcs[0] == 2 && arcs[1] > 1<<31 {
		return nil, fmt.Errorf("oid %q cannot be encoded", s)
	}
	return arcs, nil
}

func compareArcs(a, b []uint32) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// get returns the record at oid.
func (w *Walk) get(arcs []uint32) (Record, bool) {
	i, ok := slices.BinarySearchFunc(w.Records, arcs, func(r Record, t []uint32) int { return compareArcs(r.arcs, t) })
	if !ok {
		return Record{}, false
	}
	return w.Records[i], true
}

// next returns the index of the first record after oid.
func (w *Walk) next(arcs []uint32) int {
	i, ok := slices.BinarySearchFunc(w.Records, arcs, func(r Record, t []uint32) int { return compareArcs(r.arcs, t) })
	if ok {
		i++
	}
	return i
}
