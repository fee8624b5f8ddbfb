package relay

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

func TestGauge(t *testing.T) {
	for _, tc := range []struct {
		g     gauge
		arc   string
		color string
	}{
		{gauge{"Black", 100}, "M10 62 A50 50 0 0 1 110.0 62.0", "#2e9d55"},
		{gauge{"Cyan", 50}, "M10 62 A50 50 0 0 1 60.0 12.0", "#2e9d55"},
		{gauge{"Magenta", 30}, "", "#e0a100"},
		{gauge{"Yellow", 5}, "", "#c83232"},
		{gauge{"Waste", 250}, "M10 62 A50 50 0 0 1 110.0 62.0", "#2e9d55"},
	} {
		if tc.arc != "" && tc.g.Arc() != tc.arc {
			t.Errorf("%s: arc %q, want %q", tc.g.Label, tc.g.Arc(), tc.arc)
		}
		if tc.g.Color() != tc.color {
			t.Errorf("%s: colour %s, want %s", tc.g.Label, tc.g.Color(), tc.color)
		}
	}
	var buf bytes.Buffer
	if err := consoleTemplates.ExecuteTemplate(&buf, "ep-gauge", gauge{"Black <toner>", 35}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// Inline SVG with presentation attributes only: the CSP forbids inline
	// styles and scripts.
	for _, want := range []string{"<svg", `d="M10 62 A50 50 0 0 1`, `stroke="#e0a100"`, "35%", "Black &lt;toner&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("gauge lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"style=", "<script", "http"} {
		if strings.Contains(out, bad) {
			t.Errorf("gauge has %q:\n%s", bad, out)
		}
	}
}

func TestJobVolume(t *testing.T) {
	now := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)
	jobs := []store.Job{
		{Stored: now},
		{Stored: now.Add(-15 * time.Hour)},      // today, 00:00
		{Stored: now.Add(-16 * time.Hour)},      // yesterday
		{Stored: now.AddDate(0, 0, -13)},        // first day
		{Stored: now.AddDate(0, 0, -14)},        // before the chart
		{Stored: now.Add(time.Hour * 24 * 365)}, // clock skew: ignored
	}
	counts, dates := jobVolume(jobs, 14, now)
	if len(counts) != 14 || counts[13] != 2 || counts[12] != 1 || counts[0] != 1 {
		t.Fatalf("counts %v", counts)
	}
	if dates[13].Format("2006-01-02") != "2025-03-14" || dates[0].Format("2006-01-02") != "2025-03-01" {
		t.Fatalf("dates %v … %v", dates[0], dates[13])
	}
	c := newVolumeChart(counts, dates)
	if c.Total != 4 || c.Max != 2 || len(c.Bars) != 14 || c.Bars[13].Label == "" || c.Bars[13].H <= c.Bars[12].H {
		t.Fatalf("chart %+v", c)
	}
}
