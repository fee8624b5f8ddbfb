package relay

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/edgeprint/edgeprint/tunnel"
)

// metrics are the relay's Prometheus metrics, on a registry of its own so
// several relays in one process (tests) do not collide.
type metrics struct {
	reg              *prometheus.Registry
	tunnel           *tunnel.Metrics
	agentsConnected  prometheus.Gauge
	requests         *prometheus.CounterVec
	jobsStored       prometheus.Counter
	jobsPrinted      prometheus.Counter
	documentBytes    *prometheus.CounterVec
	documentsDeleted *prometheus.CounterVec
	configPushes     *prometheus.CounterVec
	replicaCalls     *prometheus.CounterVec
	replicaDropped   prometheus.Counter
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg:    reg,
		tunnel: tunnel.NewMetrics(reg),
		agentsConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edgeprint_relay_agents_connected",
			Help: "Agents with a tunnel open now.",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_relay_api_requests_total",
			Help: "HTTPS requests by route pattern and status code.",
		}, []string{"route", "code"}),
		jobsStored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_relay_jobs_stored_total",
			Help: "Jobs uploaded by agents and stored (re-uploads not counted).",
		}),
		jobsPrinted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_relay_jobs_printed_total",
			Help: "Jobs agents reported printed.",
		}),
		documentBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_relay_document_bytes_total",
			Help: "Document bytes stored (in) and served to agents (out).",
		}, []string{"direction"}),
		documentsDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_relay_documents_deleted_total",
			Help: "Documents deleted, by reason (printed, retention, orphan).",
		}, []string{"reason"}),
		configPushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_relay_config_pushes_total",
			Help: "Configuration pushes to agents, by result (ok, error).",
		}, []string{"result"}),
		replicaCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeprint_relay_replica_calls_total",
			Help: "Calls to agents made through another replica, by result (ok, error, timeout).",
		}, []string{"result"}),
		replicaDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgeprint_relay_replica_messages_dropped_total",
			Help: "Messages from replicas that did not open (another master key) or came twice or too late.",
		}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.agentsConnected, m.requests, m.jobsStored, m.jobsPrinted,
		m.documentBytes, m.documentsDeleted, m.configPushes,
		m.replicaCalls, m.replicaDropped,
	)
	for _, d := range []string{"in", "out"} {
		m.documentBytes.WithLabelValues(d)
	}
	for _, r := range []string{"printed", "retention", "orphan"} {
		m.documentsDeleted.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error"} {
		m.configPushes.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "error", "timeout"} {
		m.replicaCalls.WithLabelValues(r)
	}
	return m
}

// instrument counts requests by the pattern the mux matched, which keeps
// the label set bounded whatever paths clients send.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (and the websocket upgrade) reach
// the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
