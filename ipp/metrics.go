package ipp

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the IPP queues of a process do. One Metrics serves
// any number of Servers (Config.Metrics); a nil *Metrics counts nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	docBytes prometheus.Counter
}

// NewMetrics makes the counters and registers them with reg (if not nil).
// It panics if they are registered already, like prometheus.MustRegister.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_ipp_requests_total",
			Help: "IPP requests answered, by operation and IPP status (http-NNN when answered at the HTTP level).",
		}, []string{"operation", "status"}),
		docBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_ipp_document_bytes_total",
			Help: "Document bytes received with Print-Job, whether the job was accepted or not.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.docBytes)
	}
	return m
}

func (m *Metrics) request(op, status string) {
	if m != nil {
		m.requests.WithLabelValues(op, status).Inc()
	}
}

func (m *Metrics) documentBytes(n int64) {
	if m != nil && n > 0 {
		m.docBytes.Add(float64(n))
	}
}
