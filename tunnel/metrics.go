package tunnel

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts tunnel sessions. A nil *Metrics counts nothing, so callers
// need not check.
//
// The agent gets them through Keeper.Metrics. The relay, which does not use
// Keep, brackets each session itself:
//
//	m.SessionUp()
//	defer m.SessionDown()
//	err := s.Serve(h)
type Metrics struct {
	connects     prometheus.Counter
	disconnects  prometheus.Counter
	connected    prometheus.Gauge
	dialFailures *prometheus.CounterVec
}

// NewMetrics makes the tunnel's metrics and registers them on reg (none when
// reg is nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_tunnel_connects_total",
			Help: "Tunnel sessions established.",
		}),
		disconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_tunnel_disconnects_total",
			Help: "Tunnel sessions ended.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edgeprint_tunnel_connected",
			Help: "Tunnel sessions up now (0 or 1 on an agent, the connected agents on a relay).",
		}),
		dialFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_tunnel_dial_failures_total",
			Help: "Failed attempts to open the tunnel, by reason (unauthorized, error).",
		}, []string{"reason"}),
	}
	// Both series exist from the start, so a rate over them is defined.
	m.dialFailures.WithLabelValues("unauthorized")
	m.dialFailures.WithLabelValues("error")
	if reg != nil {
		reg.MustRegister(m.connects, m.disconnects, m.connected, m.dialFailures)
	}
	return m
}

// SessionUp counts a session that has been established.
func (m *Metrics) SessionUp() {
	if m == nil {
		return
	}
	m.connects.Inc()
	m.connected.Inc()
}

// SessionDown counts a session that has ended.
func (m *Metrics) SessionDown() {
	if m == nil {
		return
	}
	m.disconnects.Inc()
	m.connected.Dec()
}

func (m *Metrics) dialFailed(err error) {
	if m == nil {
		return
	}
	reason := "error"
	if errors.Is(err, ErrUnauthorized) {
		reason = "unauthorized"
	}
	m.dialFailures.WithLabelValues(reason).Inc()
}
