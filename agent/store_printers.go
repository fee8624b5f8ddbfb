package agent

import (
	"encoding/json"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/snmp"
)

// bucketPrinters holds discovered printers by their agent-local id.
var bucketPrinters = []byte("printers")

func migratePrinters(tx *bolt.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketPrinters)
	return err
}

// DiscoveredPrinter is a printer the agent found, as it keeps it.
type DiscoveredPrinter struct {
	ID string `json:"id"`
	snmp.Printer
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// PrinterChange says what one sweep or poll changed about a printer.
type PrinterChange struct {
	ID, Kind string // "new", "moved", "state"
	From, To string
}

// MergeDiscovered folds findings into the stored printers: a finding that
// is a stored printer (snmp.SameDevice: serial, then MAC, then address)
// updates it, following an address change; any other is added. It returns
// what changed.
func (s *Store) MergeDiscovered(found []snmp.Printer, now time.Time) ([]PrinterChange, error) {
	var changes []PrinterChange
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPrinters)
		stored, err := readPrinters(b)
		if err != nil {
			return err
		}
		for _, p := range found {
			i := slices.IndexFunc(stored, func(d DiscoveredPrinter) bool { return snmp.SameDevice(d.Printer, p) })
			if i < 0 {
				d := DiscoveredPrinter{ID: newJobID(), Printer: p, FirstSeen: now, LastSeen: now}
				stored = append(stored, d)
				changes = append(changes, PrinterChange{ID: d.ID, Kind: "new", To: p.Address})
				if err := putJSON(b, []byte(d.ID), d); err != nil {
					return err
				}
				continue
			}
			d := &stored[i]
			switch {
			case d.Address != p.Address:
				changes = append(changes, PrinterChange{ID: d.ID, Kind: "moved", From: d.Address, To: p.Address})
			case d.Status != p.Status || !slices.Equal(d.Errors, p.Errors) || !sameSupplies(d.Supplies, p.Supplies):
				changes = append(changes, PrinterChange{ID: d.ID, Kind: "state", From: d.Status, To: p.Status})
			}
			d.Printer = p
			d.LastSeen = now
			if err := putJSON(b, []byte(d.ID), d); err != nil {
				return err
			}
		}
		return nil
	})
	return changes, err
}

func sameSupplies(a, b []snmp.Supply) bool {
	return slices.EqualFunc(a, b, func(x, y snmp.Supply) bool { return x.Name == y.Name && x.Level == y.Level })
}

// DiscoveredPrinters lists the stored printers by address.
func (s *Store) DiscoveredPrinters() ([]DiscoveredPrinter, error) {
	var out []DiscoveredPrinter
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readPrinters(tx.Bucket(bucketPrinters))
		return err
	})
	slices.SortFunc(out, func(a, b DiscoveredPrinter) int {
		if a.Address < b.Address {
			return -1
		}
		if a.Address > b.Address {
			return 1
		}
		return 0
	})
	return out, err
}

func readPrinters(b *bolt.Bucket) ([]DiscoveredPrinter, error) {
	var out []DiscoveredPrinter
	err := b.ForEach(func(_, v []byte) error {
		var d DiscoveredPrinter
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}
