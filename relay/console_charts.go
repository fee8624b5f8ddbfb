package relay

import (
	"fmt"
	"math"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// gauge is a half-circle meter drawn as inline SVG (template ep-gauge):
// no external asset and no inline style, so the CSP stays strict.
type gauge struct {
	Label   string
	Percent int
}

// Arc is the SVG path of the filled part of the gauge.
func (g gauge) Arc() string {
	p := min(max(g.Percent, 0), 100)
	theta := math.Pi * (1 - float64(p)/100)
	x, y := 60+50*math.Cos(theta), 62-50*math.Sin(theta)
	return fmt.Sprintf("M10 62 A50 50 0 0 1 %.1f %.1f", x, y)
}

// Color is green, amber or red by level.
func (g gauge) Color() string {
	switch {
	case g.Percent > 40:
		return "#2e9d55"
	case g.Percent > 15:
		return "#e0a100"
	}
	return "#c83232"
}

// statusBadge is a printer's or agent's state as a coloured dot.
type statusBadge struct {
	Text, Class, Color string
}

var (
	statusReady    = statusBadge{"ready", "ok", "#2e9d55"}
	statusNoAgent  = statusBadge{"no agent online", "warn", "#e0a100"}
	statusDisabled = statusBadge{"disabled", "off", "#9aa1ad"}
	statusOnline   = statusBadge{"connected", "ok", "#2e9d55"}
	statusOffline  = statusBadge{"offline", "bad", "#c83232"}
)

// printerStatus is what the console knows of a printer's state: disabled,
// or whether an agent of the company is there to release to it. The
// device's own status comes with the agents' inventory (issue 5's
// store.Printer.Discovery); printerDeviceStatus adds it when present.
func printerStatus(p store.Printer, agentOnline bool) statusBadge {
	switch {
	case !p.Enabled:
		return statusDisabled
	case !agentOnline:
		return statusNoAgent
	}
	if st, ok := printerDeviceStatus(p); ok {
		return st
	}
	return statusReady
}

// bar is one day of the job volume chart.
type bar struct {
	X, Y, W, H float64
	CX, LabelY float64 // centre of the bar, baseline of its date
	Count      int
	Label      string // day of month, every other bar
	Title      string
}

// volumeChart is jobs received per day over the last days, as SVG bars.
type volumeChart struct {
	Bars       []bar
	Max, Total int
	Width      int
	Height     int
	BaseY      float64
}

const (
	chartWidth  = 560
	chartHeight = 160
	chartDays   = 14
)

// jobVolume counts jobs by the day the relay stored them (the relay's
// clock, not an agent's), for the days ending today (UTC).
func jobVolume(jobs []store.Job, days int, now time.Time) ([]int, []time.Time) {
	today := now.UTC().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, -(days - 1))
	counts := make([]int, days)
	dates := make([]time.Time, days)
	for i := range dates {
		dates[i] = first.AddDate(0, 0, i)
	}
	for _, j := range jobs {
		d := int(j.Stored.UTC().Sub(first).Hours() / 24)
		if !j.Stored.Before(first) && d < days {
			counts[d]++
		}
	}
	return counts, dates
}

func newVolumeChart(counts []int, dates []time.Time) volumeChart {
	c := volumeChart{Width: chartWidth, Height: chartHeight, BaseY: chartHeight - 18}
	for _, n := range counts {
		c.Max = max(c.Max, n)
		c.Total += n
	}
	scale := 1.0
	if c.Max > 0 {
		scale = (c.BaseY - 16) / float64(c.Max)
	}
	slot := float64(chartWidth) / float64(len(counts))
	for i, n := range counts {
		h := float64(n) * scale
		b := bar{X: float64(i)*slot + slot*0.15, CX: float64(i)*slot + slot/2, W: slot * 0.7, H: h, Y: c.BaseY - h, LabelY: chartHeight - 4, Count: n,
			Title: fmt.Sprintf("%s: %d jobs", dates[i].Format("Mon 2 Jan"), n)}
		if i%2 == (len(counts)-1)%2 { // every other day, ending today
			b.Label = dates[i].Format("2 Jan")
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}
