package relay

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/edgeprint/edgeprint/relay/store"
)

// printingAgent is a test agent that also serves the portal's release
// calls: it downloads the document from the relay, as the real agent does
// for a job it does not hold, and records what it printed.
type printingAgent struct {
	*testAgent
	mu      sync.Mutex
	printed map[string]string // job id → document
}

func connectPrintingAgent(t *testing.T, r *testRelay, c agentCreds) *printingAgent {
	t.Helper()
	sess, err := dialTunnel(t.Context(), r, c.id, c.secret, c.machine)
	if err != nil {
		t.Fatalf("dial tunnel: %v", err)
	}
	a := &printingAgent{testAgent: &testAgent{id: c.id, sess: sess, configs: make(chan agentConfig, 16)}, printed: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, req *http.Request) {
		var cfg agentConfig
		if err := json.NewDecoder(req.Body).Decode(&cfg); err == nil {
			select {
			case a.configs <- cfg:
			default:
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /relay/v1/release", func(w http.ResponseWriter, req *http.Request) {
		var rel struct {
			JobID string `json:"job_id"`
		}
		if err := json.NewDecoder(req.Body).Decode(&rel); err != nil {
			http.Error(w, `{"error":"bad"}`, 400)
			return
		}
		dreq, _ := http.NewRequestWithContext(req.Context(), "GET", "http://peer/agent/v1/jobs/"+rel.JobID+"/document", nil)
		resp, err := sess.Client().Do(dreq)
		if err != nil || resp.StatusCode != 200 {
			http.Error(w, `{"error":"download failed"}`, 502)
			return
		}
		doc, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a.mu.Lock()
		a.printed[rel.JobID] = string(doc)
		a.mu.Unlock()
		w.Write([]byte(`{"state":"printed"}`))
	})
	served := make(chan struct{})
	go func() {
		_ = sess.Serve(mux)
		close(served)
	}()
	t.Cleanup(func() {
		_ = sess.Close()
		<-served
	})
	a.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, nil)
	return a
}

func (a *printingAgent) document(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.printed[id]
}

// post sends a console form with the session's token taken from page.
func (c *console) post(t *testing.T, page, path string, form url.Values) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf(t, page))
	resp, body := c.send(t, "POST", path, form)
	return resp.StatusCode, string(body)
}

// multipart posts files and fields (in order) to path.
func (c *console) multipart(t *testing.T, page, path, file, name string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", c.csrf(t, page))
	fw, _ := mw.CreateFormFile(file, name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", c.r.srv.URL()+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func mustContain(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Fatalf("%s lacks %q:\n%s", what, s, body)
		}
	}
}

func TestAdminConsoleAndPortal(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	var printer struct{ ID string }
	r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{"name": "Lobby", "address": "10.0.0.5", "protocol": "raw9100", "enabled": false}, 201, &printer)
	ag := connectPrintingAgent(t, r, registerTestAgent(t, r, acme, "HQ-PC"))

	admin := newConsole(t, r)
	if st := admin.login(t, "ACME", acme.adminEmail, acme.adminPassword); st != http.StatusSeeOther {
		t.Fatalf("admin login: %d", st)
	}
	for _, p := range []string{"/admin", "/admin/users", "/admin/printers", "/admin/readers", "/admin/agents", "/admin/jobs", "/admin/audit", "/admin/settings", "/portal"} {
		if st, body := admin.get(t, p); st != 200 || !strings.Contains(string(body), `href="/admin/audit"`) {
			t.Fatalf("GET %s: %d %s", p, st, body)
		}
	}
	_, dash := admin.get(t, "/admin")
	mustContain(t, "dashboard", string(dash), "Jobs per day", "<svg", "Lobby")

	// Users: add one with two cards; import from CSV.
	st, body := admin.post(t, "/admin/users", "/admin/users", url.Values{"email": {"ann@acme.example"}, "name": {"Ann"},
		"password": {"ann-password"}, "card1": {"04a1b2"}, "card2": {"c0ffee"}})
	if st != 200 {
		t.Fatalf("add user: %d %s", st, body)
	}
	mustContain(t, "users page", body, "Added ann@acme.example", "04A1B2", "C0FFEE")
	st, body = admin.post(t, "/admin/users", "/admin/users", url.Values{"email": {"ann@acme.example"}, "name": {"Ann again"}})
	if st != http.StatusConflict {
		t.Fatalf("duplicate user: %d", st)
	}
	st, body = admin.multipart(t, "/admin/users", "/admin/users/import", "file", "users.csv",
		[]byte("email,name,card1,card2\ncid@acme.example,Cid,AA01,AA02\ndee@acme.example,Dee\nbad-line\neve@acme.example,Eve,04A1B2\n"))
	if st != 200 {
		t.Fatalf("import: %d %s", st, body)
	}
	mustContain(t, "import", body, "Imported 2 users", "cid@acme.example", "<td>4</td>", "card 04A1B2 already exists")

	// Cards of an existing user: replaced from the users page and the API.
	dee, _ := r.srv.store.UserByEmail(t.Context(), acme.id, "dee@acme.example")
	if st, body = admin.post(t, "/admin/users", "/admin/users/"+dee.ID+"/cards", url.Values{"card1": {"dd01"}, "card2": {""}}); st != 200 {
		t.Fatalf("cards form: %d %s", st, body)
	}
	mustContain(t, "cards form", body, "Cards of dee@acme.example saved", `value="DD01"`)
	if st, _ = admin.post(t, "/admin/users", "/admin/users/"+dee.ID+"/cards", url.Values{"card1": {"04A1B2"}}); st != http.StatusConflict {
		t.Fatalf("someone else's card: %d", st)
	}
	var du userResponse
	r.call(t, "PUT", "/api/v1/users/"+dee.ID+"/cards", acme.token, map[string]any{"cards": []string{"dd02", "dd03"}}, 200, &du)
	if len(du.Cards) != 2 || du.Cards[0] != "DD02" {
		t.Fatalf("cards API: %+v", du)
	}

	// Printers: a site, then enable and assign.
	if st, body = admin.post(t, "/admin/printers", "/admin/sites", url.Values{"name": {"Head office"}}); st != 200 {
		t.Fatalf("add site: %d %s", st, body)
	}
	var sites []siteResponse
	r.call(t, "GET", "/api/v1/sites", acme.token, nil, 200, &sites)
	if len(sites) != 1 {
		t.Fatalf("sites: %+v", sites)
	}
	if st, body = admin.post(t, "/admin/printers", "/admin/printers/"+printer.ID, url.Values{"name": {"Lobby MFP"}, "enabled": {"on"}, "site_id": {sites[0].ID}}); st != 200 {
		t.Fatalf("printer form: %d %s", st, body)
	}
	p, err := r.srv.store.Printer(t.Context(), acme.id, printer.ID)
	if err != nil || !p.Enabled || p.Name != "Lobby MFP" || p.SiteID != sites[0].ID {
		t.Fatalf("printer after form: %+v %v", p, err)
	}
	// Readers and activation codes.
	if st, body = admin.post(t, "/admin/readers", "/admin/readers", url.Values{"model": {store.ReaderElatecTCPConv}, "address": {"10.0.0.9"}, "printer_id": {printer.ID}}); st != 200 {
		t.Fatalf("reader: %d %s", st, body)
	}
	mustContain(t, "readers", body, "10.0.0.9", "Lobby MFP")
	st, body = admin.post(t, "/admin/agents", "/admin/activation-codes", nil)
	mustContain(t, "agents", body, `id="activation-code"`, "HQ-PC")
	// Settings, seen by the API.
	if st, body = admin.post(t, "/admin/settings", "/admin/settings", url.Values{"retention": {"1d"}, "auth_type": {"local"}, "auto_release": {"on"}}); st != 200 {
		t.Fatalf("settings: %d %s", st, body)
	}
	var set settings
	r.call(t, "GET", "/api/v1/settings", acme.token, nil, 200, &set)
	if set.Retention != store.RetentionOneDay || !set.AutoRelease || set.SecurePrintRequired {
		t.Fatalf("settings: %+v", set)
	}
	ag.waitConfig(t, func(c agentConfig) bool { return c.Company.AutoRelease && c.Company.Retention == store.RetentionOneDay })
	if st, _ = admin.post(t, "/admin/settings", "/admin/settings", url.Values{"retention": {"forever"}, "auth_type": {"local"}}); st != 400 {
		t.Fatalf("bad retention: %d", st)
	}

	// A form without the session's token is refused.
	if resp, _ := admin.send(t, "POST", "/admin/sites", url.Values{"name": {"Nope"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no csrf: %d", resp.StatusCode)
	}

	// The user's portal: a job arrives, Ann releases it, uploads a PDF,
	// deletes it.
	ann, _ := r.srv.store.UserByEmail(t.Context(), acme.id, "ann@acme.example")
	jobID := newJobID()
	ag.upload(t, jobID, ann.ID, "quarterly.pdf", strings.NewReader("%PDF-1.7 quarterly"))
	user := newConsole(t, r)
	if st := user.login(t, "ACME", "ann@acme.example", "wrong-password"); st != 401 {
		t.Fatalf("bad login: %d", st)
	}
	if st := user.login(t, "ACME", "ann@acme.example", "ann-password"); st != http.StatusSeeOther {
		t.Fatalf("user login: %d", st)
	}
	if st, _ := user.get(t, "/admin/users"); st != 404 {
		t.Fatalf("user on admin page: %d", st)
	}
	_, portal := user.get(t, "/portal")
	mustContain(t, "portal", string(portal), "quarterly.pdf", "Lobby MFP", "/cards/claim", `action="/portal/unlock"`)
	if st, body = user.post(t, "/portal", "/portal/jobs/"+jobID+"/release", url.Values{"printer_id": {printer.ID}}); st != 200 {
		t.Fatalf("release: %d %s", st, body)
	}
	mustContain(t, "after release", body, "Sent to the printer")
	if got := ag.document(jobID); got != "%PDF-1.7 quarterly" {
		t.Fatalf("agent printed %q", got)
	}
	if j, _ := r.srv.store.Job(t.Context(), acme.id, jobID); j.State != store.JobPrinted || j.PrinterID != printer.ID {
		t.Fatalf("job after release: %+v", j)
	}
	if st, body = user.multipart(t, "/portal", "/portal/upload", "file", "scan.txt", []byte("not a pdf")); st != http.StatusUnsupportedMediaType {
		t.Fatalf("upload non-PDF: %d", st)
	}
	if st, body = user.multipart(t, "/portal", "/portal/upload", "file", "C:\\Users\\ann\\memo.pdf", []byte("%PDF-1.4 memo")); st != 200 {
		t.Fatalf("upload: %d %s", st, body)
	}
	mustContain(t, "after upload", body, "memo.pdf", "Uploaded")
	jobs, _ := r.srv.store.Jobs(t.Context(), acme.id, store.JobFilter{UserID: ann.ID, State: store.JobHeld})
	if len(jobs) != 1 || jobs[0].Name != "memo.pdf" {
		t.Fatalf("held after upload: %+v", jobs)
	}
	memo := jobs[0].ID
	// Someone else's job is not found; Ann's own is deleted with its key.
	var bob struct{ ID string }
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "bob@acme.example", "name": "Bob", "password": "bob-password"}, 201, &bob)
	bobJob := newJobID()
	ag.upload(t, bobJob, bob.ID, "bob.pdf", strings.NewReader("%PDF bob"))
	if st, _ = user.post(t, "/portal", "/portal/jobs/"+bobJob+"/delete", nil); st != 404 {
		t.Fatalf("delete someone else's job: %d", st)
	}
	if st, _ = user.post(t, "/portal", "/portal/jobs/"+bobJob+"/release", url.Values{"printer_id": {printer.ID}}); st != 404 {
		t.Fatalf("release someone else's job: %d", st)
	}
	if st, body = user.post(t, "/portal", "/portal/jobs/"+memo+"/delete", nil); st != 200 {
		t.Fatalf("delete: %d %s", st, body)
	}
	if j, _ := r.srv.store.Job(t.Context(), acme.id, memo); j.State != store.JobDeleted || j.HasDocument() {
		t.Fatalf("after delete: %+v", j)
	}

	// An admin deletes Bob's held job from the jobs page.
	if st, body = admin.post(t, "/admin/jobs", "/admin/jobs/"+bobJob+"/delete", nil); st != 200 {
		t.Fatalf("admin delete: %d %s", st, body)
	}
	if j, _ := r.srv.store.Job(t.Context(), acme.id, bobJob); j.State != store.JobDeleted || j.HasDocument() {
		t.Fatalf("after admin delete: %+v", j)
	}
	if st, _ = admin.post(t, "/admin/jobs", "/admin/jobs/"+jobID+"/delete", nil); st != http.StatusConflict {
		t.Fatalf("deleting a printed job: %d", st)
	}

	// The audit log has the logins, refused and not, and no password.
	var evs []store.AuditEvent
	r.call(t, "GET", "/api/v1/audit/events?kind=login&outcome=refused", acme.token, nil, 200, &evs)
	if len(evs) != 1 || evs[0].Actor != "ann@acme.example" || evs[0].Channel != store.ChannelConsole || evs[0].Remote == "" {
		t.Fatalf("refused logins: %+v", evs)
	}
	r.call(t, "GET", "/api/v1/audit/events?kind=login&channel=api", acme.token, nil, 200, &evs)
	if len(evs) != 1 || evs[0].Outcome != store.OutcomeOK {
		t.Fatalf("registration logins: %+v", evs)
	}
	raw, _ := json.Marshal(evs)
	_, auditPage := admin.get(t, "/admin/audit?outcome=refused")
	mustContain(t, "audit page", string(auditPage), "ann@acme.example", "refused")
	for _, secret := range []string{"ann-password", "wrong-password", acme.adminPassword} {
		all, _ := r.srv.store.Events(t.Context(), acme.id, store.EventFilter{})
		b, _ := json.Marshal(all)
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(raw, []byte(secret)) || strings.Contains(string(auditPage), secret) {
			t.Fatalf("audit log holds a password")
		}
	}
	if st, _ := r.do(t, "GET", "/api/v1/audit/events?since=yesterday", acme.token, nil); st != 400 {
		t.Fatalf("bad since: %d", st)
	}
	var days []struct {
		Date string
		Jobs int
	}
	r.call(t, "GET", "/api/v1/stats/jobs?days=7", acme.token, nil, 200, &days)
	if len(days) != 7 || days[6].Jobs != 3 {
		t.Fatalf("stats: %+v", days)
	}
	// The console script is served from the relay, under the CSP.
	if st, js := admin.get(t, "/console.js"); st != 200 || !strings.Contains(string(js), "data-confirm") {
		t.Fatalf("console.js: %d", st)
	}
}
