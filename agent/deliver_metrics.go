package agent

import "github.com/prometheus/client_golang/prometheus"

// deliveryMetrics count delivery attempts and bytes by protocol; the
// releases counter in metrics.go counts whole releases.
type deliveryMetrics struct {
	attempts *prometheus.CounterVec
	bytes    *prometheus.CounterVec
}

func newDeliveryMetrics(reg prometheus.Registerer) *deliveryMetrics {
	m := &deliveryMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_agent_delivery_attempts_total",
			Help: "Attempts to send a job to a printer or print queue, by protocol and outcome (printed, retry, failed)."},
			[]string{"protocol", "outcome"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_agent_delivery_bytes_total",
			Help: "Document bytes of printed jobs, by protocol."}, []string{"protocol"}),
	}
	reg.MustRegister(m.attempts, m.bytes)
	return m
}

func protocolLabel(p Printer) string {
	switch p.Protocol {
	case "", "raw9100":
		return "raw9100"
	case "lpr":
		return "lpr"
	}
	return "other"
}
