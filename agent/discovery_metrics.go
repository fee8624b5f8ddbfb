package agent

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// discoveryMetrics are the discovery's Prometheus metrics; a nil
// *discoveryMetrics records nothing (tests build agents without a registry).
type discoveryMetrics struct {
	sweeps   prometheus.Histogram
	printers prometheus.Gauge
	reports  *prometheus.CounterVec
}

func newDiscoveryMetrics(reg *prometheus.Registry) *discoveryMetrics {
	m := &discoveryMetrics{
		sweeps: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "edgeprint_agent_discovery_sweep_seconds", Help: "Wall time of discovery sweeps (SNMP and mDNS).",
			Buckets: []float64{0.5, 1, 2, 5, 10, 30, 60, 120, 300}}),
		printers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edgeprint_agent_discovery_printers", Help: "Printers found by the last sweep."}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_agent_discovery_reports_total", Help: "Printer inventories sent to the relay, by outcome."}, []string{"outcome"}),
	}
	reg.MustRegister(m.sweeps, m.printers, m.reports)
	return m
}

func (m *discoveryMetrics) sweep(took time.Duration, found int) {
	if m == nil {
		return
	}
	m.sweeps.Observe(took.Seconds())
	m.printers.Set(float64(found))
}

func (m *discoveryMetrics) report(ok bool) {
	if m == nil {
		return
	}
	outcome := "ok"
	if !ok {
		outcome = "failed"
	}
	m.reports.WithLabelValues(outcome).Inc()
}
