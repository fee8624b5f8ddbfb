package snmp

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRealWalks serves every capture in ../shared/testdata/snmp with
// snmpsimd and checks discovery against EXPECTED.tsv: manufacturer, model
// (case-insensitive), serial and MAC wherever the row has them, and
// colour, supplies and page count wherever the walk has them.
func TestRealWalks(t *testing.T) {
	dir := testdataDir(t)
	host, port := snmpsimd(t, dir)
	rows := readExpected(t, dir)
	if len(rows) < 40 {
		t.Fatalf("EXPECTED.tsv has %d rows", len(rows))
	}
	for _, row := range rows {
		t.Run(strings.TrimSuffix(row.file, ".snmprec"), func(t *testing.T) {
			t.Parallel()
			community := strings.TrimSuffix(row.file, ".snmprec")
			target := Target{Host: host, Port: port, Credentials: []Credential{{Community: Secret(community)}}}
			p, err := ReadTarget(t.Context(), target, 2*time.Second, 2, nil)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !strings.EqualFold(p.Manufacturer, row.manufacturer) {
				t.Errorf("manufacturer = %q, want %q", p.Manufacturer, row.manufacturer)
			}
			if row.model != "" && !modelMatches(row.model, p.Manufacturer, p.Model) {
				t.Errorf("model = %q (manufacturer %q), want %q", p.Model, p.Manufacturer, row.model)
			}
			if row.serial != "" && p.Serial != row.serial {
				t.Errorf("serial = %q, want %q", p.Serial, row.serial)
			}
			if row.mac != "" && p.MAC != row.mac {
				t.Errorf("mac = %q, want %q", p.MAC, row.mac)
			}
			checkState(t, readRecords(t, filepath.Join(dir, row.file)), p)
		})
	}
}

// libreNMSMAC is the " [mac]" LibreNMS appends to some Brother models
// (EXPECTED.tsv copies peer expectations with their quirks).
var libreNMSMAC = regexp.MustCompile(` \[[0-9a-f]{12}\]$`)

// modelMatches compares case-insensitively; the expected text may carry the
// brand in front ("Dell S5830dn") where discovery reports it apart.
func modelMatches(want, manufacturer, got string) bool {
	want = libreNMSMAC.ReplaceAllString(want, "")
	return strings.EqualFold(want, got) || strings.EqualFold(want, manufacturer+" "+got)
}

// checkState compares colour, supplies and page count with the walk.
func checkState(t *testing.T, recs map[string]record, p Printer) {
	t.Helper()
	if r, ok := recs[oidPrtMarkerProcessColorants]; ok {
		n, _ := strconv.Atoi(r.value)
		if p.Color == nil || *p.Color != (n > 1) {
			t.Errorf("color = %v, want %v (prtMarkerProcessColorants %d)", p.Color, n > 1, n)
		}
	} else if hasPrefix(recs, oidPrtMarkerColorantEntry+"."+strconv.Itoa(colColorantValue)) && p.Color == nil {
		t.Errorf("color unknown though the walk has colorants")
	}
	var supplies int
	for oid := range recs {
		if strings.HasPrefix(oid, oidPrtMarkerSuppliesEntry+"."+strconv.Itoa(colSupplyDescription)+".") {
			supplies++
		}
	}
	if len(p.Supplies) != supplies {
		t.Errorf("%d supplies, want %d", len(p.Supplies), supplies)
	}
	for _, s := range p.Supplies {
		if s.Percent != nil && (*s.Percent < 0 || *s.Percent > 100) {
			t.Errorf("supply %q: percent %d", s.Name, *s.Percent)
		}
	}
	if r, ok := recs[oidPrtMarkerLifeCount]; ok {
		n, _ := strconv.ParseInt(r.value, 10, 64)
		if p.PageCount == nil || *p.PageCount != n {
			t.Errorf("page count = %v, want %d", p.PageCount, n)
		}
	}
}

func hasPrefix(recs map[string]record, prefix string) bool {
	for oid := range recs {
		if strings.HasPrefix(oid, prefix+".") {
			return true
		}
	}
	return false
}

// TestVersions reads walks over v1, v2c and v3 (authPriv, SHA/AES) with a
// wrong credential first: every version gives the same identity.
func TestVersions(t *testing.T) {
	dir := testdataDir(t)
	host, port := snmpsimd(t, dir)
	for _, walk := range []string{"sharp-mx-m266nv", "hp-laserjet-mfp-m129-m134", "kyocera-fs-1028mfp"} {
		v3 := simV3
		v3.ContextName = walk
		creds := []struct {
			name string
			cred Credential
		}{
			{"v1", Credential{Version: "1", Community: Secret(walk)}},
			{"v2c", Credential{Version: "2c", Community: Secret(walk)}},
			{"v3", v3},
		}
		var want Printer
		for i, c := range creds {
			t.Run(walk+"/"+c.name, func(t *testing.T) {
				if err := c.cred.Validate(); err != nil {
					t.Fatal(err)
				}
				wrong := Credential{Version: "2c", Community: "not-a-walk"}
				target := Target{Host: host, Port: port, Credentials: []Credential{wrong, c.cred}}
				p, err := ReadTarget(t.Context(), target, 500*time.Millisecond, 0, nil)
				if err != nil {
					t.Fatal(err)
				}
				if p.Credential != c.cred.Label() {
					t.Errorf("answered with %q", p.Credential)
				}
				if i == 0 {
					want = p
				}
				if p.Model == "" || p.Model != want.Model || p.Serial != want.Serial || p.MAC != want.MAC {
					t.Errorf("%s read %q %q %q; v1 read %q %q %q", c.name, p.Model, p.Serial, p.MAC, want.Model, want.Serial, want.MAC)
				}
			})
		}
	}
}
