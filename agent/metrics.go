package agent

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

type metrics struct {
	jobsSpooled prometheus.Counter
	spoolBytes  prometheus.Counter
	uploads     prometheus.Counter
	swipes      prometheus.Counter
	releases    *prometheus.CounterVec

	swipeOutcomes       *prometheus.CounterVec
	swipeReportsDropped prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		jobsSpooled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_agent_jobs_spooled_total", Help: "Jobs accepted into the local spool."}),
		spoolBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_agent_spool_bytes_total", Help: "Document bytes accepted into the local spool."}),
		uploads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_agent_uploads_total", Help: "Jobs uploaded to the relay."}),
		swipes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_agent_card_swipes_total", Help: "Card swipes received from readers."}),
		releases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_agent_releases_total", Help: "Jobs sent to printers, by outcome."}, []string{"outcome"}),
	}
	m.swipeOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "edgeprint_agent_swipe_outcomes_total", Help: "Card swipes by outcome."}, []string{"outcome"})
	m.swipeReportsDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "edgeprint_agent_swipe_reports_dropped_total", Help: "Swipe reports dropped because too many waited for the relay."})
	reg.MustRegister(m.swipeOutcomes, m.swipeReportsDropped)
	reg.MustRegister(m.jobsSpooled, m.spoolBytes, m.uploads, m.swipes, m.releases,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
