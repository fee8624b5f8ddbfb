package eipauth

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the package's Prometheus metrics.
type Metrics struct {
	logins   *prometheus.CounterVec
	requests *prometheus.CounterVec
	faults   prometheus.Counter
}

// NewMetrics registers the metrics with reg; nil registers nothing.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_eipauth_logins_total",
			Help: "Login attempts by interface, method and result.",
		}, []string{"interface", "method", "result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_eipauth_requests_total",
			Help: "Convenience Authentication and SSO requests by operation.",
		}, []string{"operation"}),
		faults: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_eipauth_soap_faults_total",
			Help: "SOAP faults answered.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.logins, m.requests, m.faults)
	}
	return m
}
