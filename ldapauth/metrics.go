package ldapauth

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts directory logins and imports. A nil *Metrics records
// nothing.
type Metrics struct {
	logins   *prometheus.CounterVec
	duration prometheus.Histogram
	synced   *prometheus.CounterVec
}

// NewMetrics makes the metrics and registers them with reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_ldapauth_logins_total",
			Help: "Directory logins, by result: ok, invalid, locked, unknown_domain, unavailable.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgeprint_ldapauth_login_duration_seconds",
			Help:    "Time a directory login took, failover included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		synced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_ldapauth_syncs_total",
			Help: "Directory imports, by result: ok, error.",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(m.logins, m.duration, m.synced)
	}
	return m
}

func (m *Metrics) login(start time.Time, err error) {
	if m == nil {
		return
	}
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, ErrAccountLocked):
		result = "locked"
	case errors.Is(err, ErrInvalidCredentials):
		result = "invalid"
	case errors.Is(err, ErrUnknownDomain):
		result = "unknown_domain"
	default:
		result = "unavailable"
	}
	m.logins.WithLabelValues(result).Inc()
	m.duration.Observe(time.Since(start).Seconds())
}

// Sync records one import's result.
func (m *Metrics) Sync(err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.synced.WithLabelValues(result).Inc()
}
