package snmp

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// tableClient serves a table of rows×len(columns) integers and answers
// tooBig when an answer would carry more than limit variables.
type tableClient struct {
	rows, limit int
	calls       int
}

func (c *tableClient) get(context.Context, []string) ([]gosnmp.SnmpPDU, error) { return nil, nil }
func (c *tableClient) v1() bool                                                { return false }

func (c *tableClient) bulk(_ context.Context, oids []string, reps int) ([]gosnmp.SnmpPDU, error) {
	c.calls++
	if len(oids)*reps > c.limit {
		return nil, errTooBig
	}
	var out []gosnmp.SnmpPDU
	last := append([]string(nil), oids...)
	for r := 0; r < reps; r++ {
		for i := range oids {
			// column prefix is 1.3.6.1.9.C; rows are 1..c.rows
			col, row := last[i], 0
			if idx := strings.Count(col, "."); idx == 6 {
				col, row = col[:strings.LastIndex(col, ".")], atoi(col[strings.LastIndex(col, ".")+1:])
			}
			if row >= c.rows {
				out = append(out, gosnmp.SnmpPDU{Name: "1.3.6.1.10", Type: gosnmp.Integer, Value: 0})
				continue
			}
			last[i] = col + "." + strconv.Itoa(row+1)
			out = append(out, gosnmp.SnmpPDU{Name: last[i], Type: gosnmp.Integer, Value: row + 1})
		}
	}
	return out, nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestWalkColumnsTooBig(t *testing.T) {
	tests := []struct {
		name        string
		rows, limit int
	}{
		{"fits", 5, 1000},
		{"fewer rows", 20, 40},
		{"one column at a time", 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &tableClient{rows: tt.rows, limit: tt.limit}
			vs := newVarSet(nil)
			cols := []string{"1.3.6.1.9.1", "1.3.6.1.9.2", "1.3.6.1.9.3"}
			if err := walkColumns(t.Context(), c, vs, cols, nil); err != nil {
				t.Fatal(err)
			}
			for _, col := range cols {
				if n := len(vs.column("1.3.6.1.9", atoi(col[len(col)-1:]))); n != tt.rows {
					t.Errorf("column %s: %d rows, want %d (calls %d)", col, n, tt.rows, c.calls)
				}
			}
		})
	}
}
