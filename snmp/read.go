package snmp

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// table is a conceptual table to walk: its entry OID and the columns read.
type table struct {
	entry   string
	columns []int
}

// tables are walked on every device, one GETBULK stream per table.
var tables = []table{
	{oidIfEntry, []int{colIfType, colIfPhysAddress, colIfOperStatus}},
	{oidHrDeviceEntry, []int{colHrDeviceType, colHrDeviceDescr, colHrDeviceStatus}},
	{oidHrPrinterEntry, []int{colHrPrinterStatus, colHrPrinterDetectedErrs}},
	{oidPrtMarkerSuppliesEntry, []int{colSupplyColorantIndex, colSupplyType, colSupplyDescription, colSupplyMaxCapacity, colSupplyLevel}},
	{oidPrtMarkerColorantEntry, []int{colColorantValue}},
	{oidPrtMediaPathEntry, []int{colMediaPathType}},
	{oidPrtInterpreterEntry, []int{colInterpreterLangFamily}},
}

// probeOIDs are the system group and the standard scalars, asked for in
// the first request so that a printer costs few round trips.
var probeOIDs = []string{
	oidSysDescr, oidSysObjectID, oidSysName, oidSysLocation,
	oidPrtGeneralSerialNumber, oidPrtMarkerLifeCount, oidPrtMarkerProcessColorants, oidHPDeviceID,
}

// probe asks for the system group and the standard scalars; an answer
// means the credential works.
func probe(ctx context.Context, c client) (varSet, error) {
	vs := newVarSet(nil)
	if err := getScalars(ctx, c, vs, probeOIDs); err != nil {
		return nil, err
	}
	if vs.str(oidSysDescr) == "" && vs.oid(oidSysObjectID) == "" {
		return nil, errors.New("snmp: no system group")
	}
	return vs, nil
}

// read fills vs (which holds the probe's answer) with everything Decode
// uses: the vendor's variables and the tables, in one GETBULK stream. A
// vendor variable rides along as a one-row "column" under its parent
// (GETNEXT of the parent is the variable when it exists), which saves a
// round trip; an answer of another instance is kept under its own name and
// ignored by Decode. Only a cancelled context stops the read.
func read(ctx context.Context, c client, vs varSet) error {
	v, _ := lookupVendor(vs.oid(oidSysObjectID))
	var scalars []string
	scalars = append(scalars, v.modelOIDs...)
	scalars = append(scalars, v.deviceIDOIDs...)
	scalars = append(scalars, v.serialOIDs...)
	scalars = append(scalars, v.colorCounterOIDs...)
	scalars = append(scalars, v.monoCounterOIDs...)
	cols := slices.Clone(tableColumns)
	oneRow := map[string]bool{}
	for _, s := range scalars {
		if i := strings.LastIndex(s, "."); i > 0 && !oneRow[s[:i]] {
			oneRow[s[:i]] = true
			cols = append(cols, s[:i])
		}
	}
	if err := walkColumns(ctx, c, vs, cols, oneRow); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// tableColumns lists every column of tables, walked side by side.
var tableColumns = func() []string {
	var out []string
	for _, t := range tables {
		for _, n := range t.columns {
			out = append(out, t.entry+"."+strconv.Itoa(n))
		}
	}
	return out
}()

// getScalars GETs oids in batches. SNMPv1 fails a whole GET when one
// variable is missing, so a failed batch is retried one variable at a time.
func getScalars(ctx context.Context, c client, vs varSet, oids []string) error {
	for len(oids) > 0 {
		n := min(len(oids), maxGetOIDs)
		batch := oids[:n]
		oids = oids[n:]
		pdus, err := c.get(ctx, batch)
		if errors.Is(err, errNoSuchName) && len(batch) > 1 {
			for _, o := range batch {
				if p, err := c.get(ctx, []string{o}); err == nil {
					for _, x := range p {
						vs.add(x)
					}
				} else if ctx.Err() != nil {
					return ctx.Err()
				}
			}
			continue
		}
		if err != nil {
			return err
		}
		for _, p := range pdus {
			vs.add(p)
		}
	}
	return nil
}

// walkColumns reads columns side by side with GETBULK (all of them in one
// request, so a small printer is read in one or two round trips). Each
// column stops at its end, at endOfMibView, at an OID that does not
// increase (a looping agent), or after maxTableRows rows; the whole walk
// stops after maxWalkRequests requests. So no device can keep it going.
// Columns in oneRow stop after their first row.
func walkColumns(ctx context.Context, c client, vs varSet, columns []string, oneRow map[string]bool) error {
	type col struct {
		prefix string
		last   string
		rows   int
		limit  int
	}
	active := make([]*col, 0, len(columns))
	for _, p := range columns {
		limit := maxTableRows
		if oneRow[p] {
			limit = 1
		}
		active = append(active, &col{prefix: p, last: p, limit: limit})
	}
	reps := bulkRepetitions
	for req := 0; req < maxWalkRequests && len(active) > 0; req++ {
		// Small agents answer tooBig instead of fewer rows: ask for
		// fewer rows, then for fewer columns at a time.
		batch := active
		if reps == 0 {
			batch = active[:1]
		}
		oids := make([]string, len(batch))
		for i, a := range batch {
			oids[i] = a.last
		}
		pdus, err := c.bulk(ctx, oids, max(reps, 1))
		if errors.Is(err, errTooBig) && (reps > 0 || len(batch) > 1) {
			reps /= 2
			continue
		}
		if err != nil {
			return err
		}
		if len(pdus) == 0 {
			return nil
		}
		done := make([]bool, len(active))
		for i, p := range pdus {
			k := i % len(batch)
			if done[k] {
				continue
			}
			a := batch[k]
			name := strings.TrimPrefix(p.Name, ".")
			if p.Type == gosnmp.EndOfMibView || !strings.HasPrefix(name, a.prefix+".") || !oidLess(a.last, name) {
				done[k] = true
				continue
			}
			vs.add(p)
			a.last = name
			if a.rows++; a.rows >= a.limit {
				done[k] = true
			}
		}
		next := active[:0]
		for k, a := range active {
			if !done[k] {
				next = append(next, a)
			}
		}
		active = next
	}
	return nil
}
