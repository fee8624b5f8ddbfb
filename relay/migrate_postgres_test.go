package relay

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/postgres"
)

// TestMigrateToPostgres moves a data dir the relay filled into a fresh
// PostgreSQL database, compares everything, then runs a relay on the
// migrated data dir: the admin signs in, the agent reconnects and a held
// job is released, its document read back from PostgreSQL intact.
func TestMigrateToPostgres(t *testing.T) {
	f := populateDataDir(t)
	url := newTestDatabase(t)
	var out bytes.Buffer
	if err := Migrate(t.Context(), f.dir, url, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	t.Logf("progress:\n%s", out.String())
	checkDatabaseFile(t, f.dir, url+"\n")
	func() {
		dst, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		compareDataDir(t, f.dir, dst)
	}()
	// Migrating again is refused: the data dir names the database now.
	if err := Migrate(t.Context(), f.dir, url, io.Discard); err == nil || !strings.Contains(err.Error(), "already names a database") {
		t.Fatalf("second migrate: %v", err)
	}

	r := startRelay(t, f.dir)
	if status := newConsole(t, r).login(t, "ACME", f.acme.adminEmail, f.acme.adminPassword); status != http.StatusSeeOther {
		t.Fatalf("admin sign-in after the migration: %d", status)
	}
	sess, err := dialTunnel(t.Context(), r, f.acmeAgent.id, f.acmeAgent.secret, f.acmeAgent.machine)
	if err != nil {
		t.Fatalf("agent tunnel after the migration: %v", err)
	}
	// The agent answers a release by downloading the document, as an agent
	// that no longer holds the job in its spool does.
	got := make(chan string, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /relay/v1/release", func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			JobID string `json:"job_id"`
		}
		_ = json.NewDecoder(req.Body).Decode(&body)
		dreq, _ := http.NewRequestWithContext(req.Context(), "GET", "http://peer/agent/v1/jobs/"+body.JobID+"/document", nil)
		resp, err := sess.Client().Do(dreq)
		if err != nil || resp.StatusCode != http.StatusOK {
			http.Error(w, `{"error":"download"}`, http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		sum, _ := sha(resp.Body)
		got <- sum
		_, _ = w.Write([]byte(`{"state":"printed"}`))
	})
	served := make(chan struct{})
	go func() { _ = sess.Serve(mux); close(served) }()
	t.Cleanup(func() { _ = sess.Close(); <-served })
	// The relay answers the agent only once it has registered the tunnel.
	creq, _ := http.NewRequestWithContext(t.Context(), "GET", "http://peer/agent/v1/config", nil)
	if resp, err := sess.Client().Do(creq); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("agent config after the migration: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	big := f.heldJobs[0]
	r.call(t, "POST", "/api/v1/jobs/"+big+"/release", f.acme.token, map[string]string{"printer_id": f.printer}, http.StatusOK, nil)
	want, _ := sha(document(7, f.bigJobSize))
	if sum := <-got; sum != want {
		t.Fatalf("released document sha %s, want %s", sum, want)
	}
	var jobs []jobResponse
	r.call(t, "GET", "/api/v1/jobs?user=ann@acme.example", f.acme.token, nil, http.StatusOK, &jobs)
	for _, j := range jobs {
		if j.ID == big && j.State != store.JobPrinted {
			t.Fatalf("released job is %s", j.State)
		}
	}
}
