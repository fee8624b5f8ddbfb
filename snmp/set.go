package snmp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Errors of Apply.
var (
	ErrWrongVendor = errors.New("snmp: set: the device is not of the profile's vendor")
	ErrNoRow       = errors.New("snmp: set: no row matches")
	ErrBadProfile  = errors.New("snmp: set: bad profile")
)

// SetProfile is one vendor setting written by SNMP SET, as data. Rows are
// found by the values of their key columns (for Xerox's XCMI service-detail
// table: class and type), never by fixed instance numbers, which differ
// between devices and firmware.
type SetProfile struct {
	Name       string   `json:"name"`
	Enterprise int      `json:"enterprise"`  // sysObjectID enterprise the profile is for
	Table      string   `json:"table"`       // the table's entry OID
	KeyColumns []int    `json:"key_columns"` // columns whose values pick a row
	Writes     []SetRow `json:"writes"`
	Origin     string   `json:"origin"` // where the OIDs come from: MIB name, document
}

// SetRow writes Value into Column of every row whose key columns equal Key.
type SetRow struct {
	Key    []int64 `json:"key"`
	Column int     `json:"column"`
	Type   string  `json:"type"`  // "string", "integer", "ipaddress"
	Value  string  `json:"value"` // {agent_host} and {agent_port} are replaced
}

// Validate checks the profile's shape.
func (p SetProfile) Validate() error {
	if p.Name == "" || p.Enterprise <= 0 || len(p.KeyColumns) == 0 || len(p.Writes) == 0 {
		return fmt.Errorf("%w: name, enterprise, key_columns and writes are required", ErrBadProfile)
	}
	if !strings.HasPrefix(p.Table, oidEnterprises+"."+strconv.Itoa(p.Enterprise)+".") {
		return fmt.Errorf("%w: table %q is not under enterprise %d", ErrBadProfile, p.Table, p.Enterprise)
	}
	for _, w := range p.Writes {
		if len(w.Key) != len(p.KeyColumns) || w.Column <= 0 {
			return fmt.Errorf("%w: write to column %d: key has %d values for %d key columns", ErrBadProfile, w.Column, len(w.Key), len(p.KeyColumns))
		}
		switch w.Type {
		case "string", "integer", "ipaddress":
		default:
			return fmt.Errorf("%w: type %q is not string, integer or ipaddress", ErrBadProfile, w.Type)
		}
	}
	return nil
}

// Change is one variable Apply changed (or would change, in a dry run).
type Change struct {
	OID string `json:"oid"`
	Old string `json:"old"`
	New string `json:"new"`
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	Vars    map[string]string // {agent_host}, {agent_port}, ...
	DryRun  bool
	Timeout time.Duration
	Retries int
	Logger  *slog.Logger
}

// Apply writes profile p to the printer at t with t's first working
// credential: it checks the vendor, walks the key columns, reads the
// current values and SETs those that differ, in one request. Every change
// is logged with its old and new value. Callers apply it only to printers
// an admin opted in.
func Apply(ctx context.Context, t Target, p SetProfile, o ApplyOptions) ([]Change, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	log := o.Logger.With("printer", t.Address(), "profile", p.Name)
	var lastErr error = ErrNoResponse
	for _, cred := range t.Credentials {
		c, err := dial(ctx, t.Host, portOr(t.Port), cred, o.Timeout, o.Retries, nil)
		if err != nil {
			lastErr = err
			continue
		}
		changes, err := apply(ctx, c, p, o, log)
		c.close()
		if err == nil || errors.Is(err, ErrWrongVendor) || errors.Is(err, ErrNoRow) || ctx.Err() != nil {
			return changes, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// setter is a client that can also SET.
type setter interface {
	client
	set(ctx context.Context, pdus []gosnmp.SnmpPDU) error
}

func (c *gosnmpClient) set(ctx context.Context, pdus []gosnmp.SnmpPDU) error {
	if err := c.wait(ctx); err != nil {
		return err
	}
	pkt, err := c.g.Set(pdus)
	if err != nil {
		return err
	}
	if pkt.Error != gosnmp.NoError {
		return fmt.Errorf("snmp: set: error-status %s at variable %d", pkt.Error, pkt.ErrorIndex)
	}
	return nil
}

func apply(ctx context.Context, c setter, p SetProfile, o ApplyOptions, log *slog.Logger) ([]Change, error) {
	vs, err := probe(ctx, c)
	if err != nil {
		return nil, err
	}
	if enterpriseOf(vs.oid(oidSysObjectID)) != p.Enterprise {
		return nil, fmt.Errorf("%w: sysObjectID %s", ErrWrongVendor, vs.oid(oidSysObjectID))
	}
	var cols []string
	for _, k := range p.KeyColumns {
		cols = append(cols, p.Table+"."+strconv.Itoa(k))
	}
	if err := walkColumns(ctx, c, vs, cols, nil); err != nil {
		return nil, err
	}
	keys := map[string][]int64{} // row index -> key values
	for i, k := range p.KeyColumns {
		for _, r := range vs.column(p.Table, k) {
			n, ok := pduInt(r.pdu)
			if !ok {
				continue
			}
			if keys[r.index] == nil {
				keys[r.index] = make([]int64, len(p.KeyColumns))
				for j := range keys[r.index] {
					keys[r.index][j] = -1 << 62
				}
			}
			keys[r.index][i] = n
		}
	}
	var targets []gosnmp.SnmpPDU
	for _, w := range p.Writes {
		matched := false
		for idx, key := range keys {
			if !slices.Equal(key, w.Key) {
				continue
			}
			matched = true
			pdu, err := w.pdu(p.Table+"."+strconv.Itoa(w.Column)+"."+idx, o.Vars)
			if err != nil {
				return nil, err
			}
			targets = append(targets, pdu)
		}
		if !matched {
			return nil, fmt.Errorf("%w: key %v in %s", ErrNoRow, w.Key, p.Table)
		}
	}
	slices.SortFunc(targets, func(a, b gosnmp.SnmpPDU) int { return strings.Compare(a.Name, b.Name) })
	var names []string
	for _, t := range targets {
		names = append(names, t.Name)
	}
	if err := getScalars(ctx, c, vs, names); err != nil {
		return nil, err
	}
	var changes []Change
	var writes []gosnmp.SnmpPDU
	for _, t := range targets {
		old := valueText(vs[t.Name])
		nw := valueText(t)
		if old == nw {
			continue
		}
		changes = append(changes, Change{OID: t.Name, Old: old, New: nw})
		writes = append(writes, t)
	}
	if len(writes) == 0 || o.DryRun {
		return changes, nil
	}
	if err := c.set(ctx, writes); err != nil {
		log.Warn("snmp set refused", "err", err)
		return nil, err
	}
	for _, ch := range changes {
		log.Info("snmp set", "oid", ch.OID, "old", ch.Old, "new", ch.New)
	}
	return changes, nil
}

func (w SetRow) pdu(oid string, vars map[string]string) (gosnmp.SnmpPDU, error) {
	v := w.Value
	for k, x := range vars {
		v = strings.ReplaceAll(v, "{"+k+"}", x)
	}
	switch w.Type {
	case "string":
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.OctetString, Value: []byte(v)}, nil
	case "integer":
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return gosnmp.SnmpPDU{}, fmt.Errorf("%w: integer %q", ErrBadProfile, v)
		}
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.Integer, Value: int(n)}, nil
	case "ipaddress":
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			return gosnmp.SnmpPDU{}, fmt.Errorf("%w: IPv4 address %q", ErrBadProfile, v)
		}
		return gosnmp.SnmpPDU{Name: oid, Type: gosnmp.IPAddress, Value: a.String()}, nil
	}
	return gosnmp.SnmpPDU{}, fmt.Errorf("%w: type %q", ErrBadProfile, w.Type)
}

// valueText renders a value for comparison and logs.
func valueText(p gosnmp.SnmpPDU) string {
	switch v := p.Value.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	case nil:
		return ""
	}
	if n, ok := pduInt(p); ok {
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprint(p.Value)
}
