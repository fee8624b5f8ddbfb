package snmp

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// fuzzColumns are OIDs the decoder reads; fuzz input picks among them so
// that most variables land where they matter, with the wrong types, huge
// strings and missing columns the fuzzer invents.
var fuzzColumns = []string{
	oidSysDescr, oidSysObjectID, oidSysName, oidSysLocation,
	oidPrtGeneralSerialNumber, oidPrtMarkerLifeCount, oidPrtMarkerProcessColorants, oidHPDeviceID,
	oidIfEntry + ".3", oidIfEntry + ".6", oidIfEntry + ".8",
	oidHrDeviceEntry + ".2", oidHrDeviceEntry + ".3", oidHrDeviceEntry + ".5",
	oidHrPrinterEntry + ".1", oidHrPrinterEntry + ".2",
	oidPrtMarkerSuppliesEntry + ".3", oidPrtMarkerSuppliesEntry + ".5", oidPrtMarkerSuppliesEntry + ".6",
	oidPrtMarkerSuppliesEntry + ".8", oidPrtMarkerSuppliesEntry + ".9",
	oidPrtMarkerColorantEntry + ".4", oidPrtMediaPathEntry + ".9", oidPrtInterpreterEntry + ".2",
	"1.3.6.1.4.1.367.3.2.1.1.1.1.0", "1.3.6.1.4.1.1347.43.5.1.1.28.1", "1.3.6.1.4.1.253.8.51.1.2.1.20.1",
}

var fuzzTypes = []gosnmp.Asn1BER{
	gosnmp.Integer, gosnmp.OctetString, gosnmp.ObjectIdentifier, gosnmp.Counter32, gosnmp.Gauge32,
	gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.IPAddress, gosnmp.Null, gosnmp.NoSuchObject,
	gosnmp.NoSuchInstance, gosnmp.EndOfMibView, gosnmp.Opaque, gosnmp.Uinteger32,
}

// pdusFromBytes reads variables from fuzz input: per variable a column
// byte, an index byte, a type byte, a 2-byte length and that many bytes of
// value, turned into the Go type gosnmp gives that ASN.1 type, or a wrong one.
func pdusFromBytes(data []byte) []gosnmp.SnmpPDU {
	var out []gosnmp.SnmpPDU
	for len(data) >= 5 && len(out) < 4096 {
		col, idx, typ := data[0], data[1], data[2]
		n := int(binary.BigEndian.Uint16(data[3:5]))
		data = data[5:]
		n = min(n, len(data))
		val := data[:n]
		data = data[n:]
		name := fuzzColumns[int(col)%len(fuzzColumns)]
		if col >= 128 { // a table cell: add an index
			name += "." + strconv.Itoa(int(idx)%8) + "." + strconv.Itoa(int(idx)/8)
		}
		p := gosnmp.SnmpPDU{Name: "." + name, Type: fuzzTypes[int(typ)%len(fuzzTypes)]}
		var num uint64
		for _, b := range val[:min(8, len(val))] {
			num = num<<8 | uint64(b)
		}
		switch typ / 16 % 6 {
		case 0:
			p.Value = val
		case 1:
			p.Value = string(val)
		case 2:
			p.Value = int(int64(num))
		case 3:
			p.Value = uint(num)
		case 4:
			p.Value = num
		case 5:
			p.Value = nil
		}
		out = append(out, p)
	}
	return out
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 0, 0x01, 0, 4, 'H', 'P', ' ', 'x'})
	f.Add([]byte{1, 0, 0x12, 0, 17, '1', '.', '3', '.', '6', '.', '1', '.', '4', '.', '1', '.', '1', '1', '.', '2', '.', '3'})
	f.Add([]byte{137, 9, 0x01, 0, 6, 0, 0x1b, 0xa9, 0x0b, 0xa7, 0x52, 138, 9, 0x20, 0, 1, 1})
	f.Add([]byte{144, 9, 0x20, 0, 2, 0x80, 0x01, 146, 9, 0x01, 0xff, 0xff, 'x'})
	f.Add(make([]byte, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := Decode("192.0.2.1", pdusFromBytes(data))
		if len(p.Model) > maxStringLen || len(p.Serial) > maxStringLen || len(p.Description) > maxStringLen {
			t.Fatalf("string over limit: %d %d %d", len(p.Model), len(p.Serial), len(p.Description))
		}
		if len(p.Supplies) > maxTableRows || len(p.Languages) > 32 {
			t.Fatalf("%d supplies, %d languages", len(p.Supplies), len(p.Languages))
		}
		for _, s := range p.Supplies {
			if s.Percent != nil && (*s.Percent < 0 || *s.Percent > 100) {
				t.Fatalf("percent %d", *s.Percent)
			}
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}

// endlessClient answers every GETBULK with the fuzz input's variables,
// forever: a device that loops, repeats or never reaches the end.
type endlessClient struct {
	pdus  []gosnmp.SnmpPDU
	calls int
}

func (c *endlessClient) get(_ context.Context, oids []string) ([]gosnmp.SnmpPDU, error) {
	c.calls++
	return c.pdus, nil
}

func (c *endlessClient) bulk(_ context.Context, oids []string, reps int) ([]gosnmp.SnmpPDU, error) {
	c.calls++
	// Keep each column "inside" its table so only the limits stop it.
	out := make([]gosnmp.SnmpPDU, 0, len(c.pdus)+len(oids))
	for i, o := range oids {
		p := gosnmp.SnmpPDU{Name: o + "." + strconv.Itoa(c.calls) + "." + strconv.Itoa(i), Type: gosnmp.Integer, Value: c.calls}
		out = append(out, p)
	}
	return append(out, c.pdus...), nil
}

func (c *endlessClient) v1() bool { return false }

func FuzzWalk(f *testing.F) {
	f.Add([]byte{137, 9, 0x01, 0, 6, 0, 0x1b, 0xa9, 0x0b, 0xa7, 0x52})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &endlessClient{pdus: pdusFromBytes(data)}
		vs := newVarSet(nil)
		vs.add(gosnmp.SnmpPDU{Name: oidSysObjectID, Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.4.1.11.2.3.9.1"})
		if err := read(t.Context(), c, vs); err != nil {
			t.Fatal(err)
		}
		if limit := maxWalkRequests + 8; c.calls > limit {
			t.Fatalf("%d requests, limit %d", c.calls, limit)
		}
		_ = decode("192.0.2.1", vs)
	})
}
