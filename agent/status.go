package agent

import (
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Status is what the status page and /status.json show.
type Status struct {
	Version        string      `json:"version"`
	Site           string      `json:"site"`
	AgentID        string      `json:"agent_id"`
	Relay          string      `json:"relay"`
	RelayConnected bool        `json:"relay_connected"`
	QueueURI       string      `json:"queue_uri"`
	HeldJobs       int         `json:"held_jobs"`
	PendingUploads int         `json:"pending_uploads"`
	Jobs           []JobStatus `json:"jobs"` // held jobs, with why a release failed
	Printers       []Printer   `json:"printers"`
	Readers        []Reader    `json:"readers"`
	Listeners      []Listener  `json:"listeners"`
	Started        time.Time   `json:"started"`
}

// Listener is one bound network listener.
type Listener struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
}

// Status reports the agent's state now.
func (a *Agent) Status() Status {
	st := Status{Version: a.version, Site: a.cfg.Site, AgentID: a.id.AgentID, Relay: a.id.RelayURL,
		RelayConnected: a.session() != nil, QueueURI: a.QueueURI(), Started: a.started, Listeners: a.listeners()}
	if jobs, err := a.store.Jobs(func(JobRecord) bool { return true }); err == nil {
		st.HeldJobs = len(jobs)
		for _, j := range jobs {
			if !j.Uploaded {
				st.PendingUploads++
			}
			st.Jobs = append(st.Jobs, jobStatus(j))
		}
	}
	if sc, err := a.store.SiteConfig(); err == nil {
		st.Printers, st.Readers = sc.Printers, sc.Readers
	}
	return st
}

func (a *Agent) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(a.Status())
	})
	a.discoveryRoutes(mux) // discovery_admin.go
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Header().Set("Refresh", "10")
		if err := statusPage.Execute(w, a.Status()); err != nil {
			a.log.Warn("status page", "err", err)
		}
	})
	return mux
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>edgeprint agent · {{.Site}}</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2rem;color:#222;max-width:60rem}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}
.ok{color:#087f23;font-weight:600} .bad{color:#b00020;font-weight:600} .muted{color:#666}
</style></head><body>
<h1>edgeprint agent · {{.Site}}</h1>
<p>Relay {{.Relay}}: {{if .RelayConnected}}<span class="ok">connected</span>{{else}}<span class="bad">not connected</span> (jobs are held and released locally; they upload when it is back){{end}}</p>
<p>Queue <code>{{.QueueURI}}</code> · {{.HeldJobs}} held job(s), {{.PendingUploads}} waiting to upload · agent {{.AgentID}} · version {{.Version}} · up since {{.Started.Format "2006-01-02 15:04"}}</p>
<h2>Printers</h2>
{{if .Printers}}<table><tr><th>Name</th><th>Address</th><th>Protocol</th><th>Enabled</th></tr>
{{range .Printers}}<tr><td>{{.Name}}</td><td>{{.Address}}:{{.Port}}</td><td>{{.Protocol}}</td><td>{{if .Enabled}}yes{{else}}no{{end}}</td></tr>{{end}}
</table>{{else}}<p class="muted">No printers yet: add them in the relay console.</p>{{end}}
<h2>Held jobs</h2>
{{if .Jobs}}<table><tr><th>Job</th><th>User</th><th>State</th><th>Why</th><th>Since</th></tr>
{{range .Jobs}}<tr><td>{{.Name}}</td><td>{{.User}}</td><td>{{if eq .State "failed"}}<span class="bad">not printed</span>{{else}}{{.State}}{{end}}</td><td>{{.Reason}}{{if .Attempts}} <span class="muted">({{.Attempts}} attempt(s))</span>{{end}}</td><td>{{.Since.Format "2006-01-02 15:04"}}</td></tr>{{end}}
</table>{{else}}<p class="muted">No held jobs.</p>{{end}}
<h2>Card readers</h2>
{{if .Readers}}<table><tr><th>Model</th><th>Address</th><th>Printer</th></tr>
{{range .Readers}}<tr><td>{{.Model}}</td><td>{{.Address}}</td><td>{{.PrinterID}}</td></tr>{{end}}
</table>{{else}}<p class="muted">No card readers yet.</p>{{end}}
<h2>Listeners</h2>
<table>{{range .Listeners}}<tr><td>{{.Name}}</td><td><code>{{.Addr}}</code></td></tr>{{end}}</table>
<p class="muted"><a href="/metrics">metrics</a> · <a href="/status.json">status.json</a> · <a href="/healthz">healthz</a></p>
</body></html>
`))
