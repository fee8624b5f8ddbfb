package relay

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/tunnel"
)

const jobSize = 20 << 20

// document is a deterministic pseudo-random document of n bytes, generated
// as it is read so that the test itself never holds it whole.
func document(seed byte, n int64) io.Reader {
	var s [32]byte
	s[0] = seed
	return io.LimitReader(rand.NewChaCha8(s), n)
}

func sha(r io.Reader) (string, int64) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n
}

func newJobID() string { return newID() }

// TestAgentJourney walks one job through the relay as an agent drives it.
func TestAgentJourney(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)

	var ann struct{ ID string }
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{
		"email": "ann@acme.example", "name": "Ann", "password": "ann-password", "cards": []string{"04a1b2c3"},
	}, http.StatusCreated, &ann)

	creds := registerTestAgent(t, r, acme, "HQ-PC-01")
	a := connectAgent(t, r, creds)

	t.Run("auth", func(t *testing.T) {
		var id identity
		a.call(t, "POST", "/agent/v1/auth", map[string]string{"username": "Ann@acme.example", "password": "ann-password"}, http.StatusOK, &id)
		if id.ID != ann.ID || id.Email != "ann@acme.example" || id.Name != "Ann" {
			t.Fatalf("auth answered %+v", id)
		}
		a.call(t, "POST", "/agent/v1/auth", map[string]string{"username": "ann@acme.example", "password": "wrong-password"}, http.StatusUnauthorized, nil)
		a.call(t, "POST", "/agent/v1/auth", map[string]string{"username": "nobody@acme.example", "password": "ann-password"}, http.StatusUnauthorized, nil)
	})
	t.Run("card lookup", func(t *testing.T) {
		var id identity
		a.call(t, "POST", "/agent/v1/cards/lookup", map[string]string{"card": " 04A1B2C3"}, http.StatusOK, &id)
		if id.ID != ann.ID {
			t.Fatalf("card lookup answered %+v", id)
		}
		a.call(t, "POST", "/agent/v1/cards/lookup", map[string]string{"card": "FFFF"}, http.StatusNotFound, nil)
		a.call(t, "POST", "/agent/v1/cards/lookup", map[string]string{"card": "not hex"}, http.StatusBadRequest, nil)
	})

	var printer struct{ ID string }
	t.Run("config push and fetch", func(t *testing.T) {
		r.call(t, "POST", "/api/v1/printers", acme.token, map[string]any{
			"name": "HQ 2nd floor", "address": "10.0.0.5", "protocol": "raw9100",
		}, http.StatusCreated, &printer)
		cfg := a.waitConfig(t, func(c agentConfig) bool { return len(c.Printers) == 1 })
		if p := cfg.Printers[0]; p.ID != printer.ID || p.Port != 9100 || !p.Enabled || cfg.Company.Code != "ACME" {
			t.Fatalf("pushed config %+v", cfg)
		}
		r.call(t, "POST", "/api/v1/readers", acme.token, map[string]any{
			"model": "elatec-tcpconv2", "address": "10.0.0.6", "printer_id": printer.ID,
		}, http.StatusCreated, nil)
		a.waitConfig(t, func(c agentConfig) bool { return len(c.Readers) == 1 && c.Readers[0].PrinterID == printer.ID })

		var fetched agentConfig
		a.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, &fetched)
		if len(fetched.Printers) != 1 || len(fetched.Readers) != 1 || fetched.Company.Retention != store.RetentionImmediate {
			t.Fatalf("fetched config %+v", fetched)
		}
	})

	jobID := newJobID()
	wantSum, _ := sha(document(1, jobSize))
	t.Run("upload 20 MB", func(t *testing.T) {
		if st := a.upload(t, jobID, ann.ID, "Quarterly report.pdf", document(1, jobSize)); st != http.StatusCreated {
			t.Fatalf("upload: %d, want 201", st)
		}
		// A re-upload after a lost answer is accepted and stored once.
		if st := a.upload(t, jobID, ann.ID, "Quarterly report.pdf", document(1, 1000)); st != http.StatusOK {
			t.Fatalf("re-upload: %d, want 200", st)
		}
		if docs := storedDocuments(t, r); len(docs) != 1 {
			t.Fatalf("%d files in the document store, want 1", len(docs))
		}
	})
	t.Run("list held", func(t *testing.T) {
		var jobs []jobResponse
		a.call(t, "GET", "/agent/v1/jobs?user="+ann.ID+"&state=held", nil, http.StatusOK, &jobs)
		if len(jobs) != 1 {
			t.Fatalf("held jobs %+v", jobs)
		}
		j := jobs[0]
		if j.ID != jobID || j.Size != jobSize || j.User != "ann@acme.example" || j.Name != "Quarterly report.pdf" || j.Format != "application/pdf" || j.State != store.JobHeld {
			t.Fatalf("held job %+v", j)
		}
	})
	t.Run("download", func(t *testing.T) {
		resp := a.do(t, "GET", "/agent/v1/jobs/"+jobID+"/document", nil, nil)
		defer resp.Body.Close()
		got, n := sha(resp.Body)
		if resp.StatusCode != http.StatusOK || n != jobSize || got != wantSum {
			t.Fatalf("download: status %d, %d bytes, sha %s; want %s", resp.StatusCode, n, got, wantSum)
		}
	})
	t.Run("printed", func(t *testing.T) {
		a.call(t, "POST", "/agent/v1/jobs/"+jobID+"/state", map[string]string{"state": "printed", "printer_id": printer.ID}, http.StatusNoContent, nil)
		a.call(t, "POST", "/agent/v1/jobs/"+jobID+"/state", map[string]string{"state": "printed"}, http.StatusNoContent, nil)
		a.call(t, "POST", "/agent/v1/jobs/"+jobID+"/state", map[string]string{"state": "failed"}, http.StatusConflict, nil)
		a.call(t, "GET", "/agent/v1/jobs/"+jobID+"/document", nil, http.StatusGone, nil)
		if docs := storedDocuments(t, r); len(docs) != 0 {
			t.Fatalf("%d files left in the document store", len(docs))
		}
		var jobs []jobResponse
		r.call(t, "GET", "/api/v1/jobs?user=ann@acme.example", acme.token, nil, http.StatusOK, &jobs)
		if len(jobs) != 1 || jobs[0].State != store.JobPrinted || jobs[0].PrinterID != printer.ID || jobs[0].Printed.IsZero() {
			t.Fatalf("API shows %+v", jobs)
		}
	})
	t.Run("bad uploads", func(t *testing.T) {
		tests := []struct {
			name, id, user string
			body           []byte
			want           int
		}{
			{"unknown user", newJobID(), "nobody", []byte("x"), http.StatusBadRequest},
			{"no user", newJobID(), "", []byte("x"), http.StatusBadRequest},
			{"bad id", "a.b", ann.ID, []byte("x"), http.StatusBadRequest},
			{"empty document", newJobID(), ann.ID, nil, http.StatusBadRequest},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if st := a.upload(t, tc.id, tc.user, "x", bytes.NewReader(tc.body)); st != tc.want {
					t.Fatalf("status %d, want %d", st, tc.want)
				}
			})
		}
		if docs := storedDocuments(t, r); len(docs) != 0 {
			t.Fatalf("refused uploads left %d files", len(docs))
		}
	})
}

func TestStoredDocumentIsEncrypted(t *testing.T) {
	embeddedOnly(t, "reads the documents directory (package store/postgres checks its own chunks are sealed)")
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	var ann struct{ ID string }
	r.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "ann@acme.example", "name": "Ann"}, http.StatusCreated, &ann)
	a := connectAgent(t, r, registerTestAgent(t, r, acme, "pc"))

	plain := bytes.Repeat([]byte("%PDF-1.7 confidential salary table "), 4000)
	if st := a.upload(t, newJobID(), ann.ID, "salaries.pdf", bytes.NewReader(plain)); st != http.StatusCreated {
		t.Fatalf("upload: %d", st)
	}
	docs, _ := os.ReadDir(filepath.Join(dir, documentsDir))
	if len(docs) != 1 {
		t.Fatalf("%d stored files, want 1", len(docs))
	}
	raw, err := os.ReadFile(filepath.Join(dir, documentsDir, docs[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("confidential")) {
		t.Fatal("the stored document holds plaintext")
	}
	db, err := os.ReadFile(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte("confidential")) {
		t.Fatal("the database holds plaintext")
	}
	info, err := os.Stat(filepath.Join(dir, masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("master key mode %v, want 0600", info.Mode().Perm())
	}
}

func TestTunnelAuthentication(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	good := registerTestAgent(t, r, acme, "pc-1")
	other := registerTestAgent(t, r, acme, "pc-2")

	tests := []struct {
		name                string
		id, secret, machine string
	}{
		{"wrong secret", good.id, other.secret, good.machine},
		{"wrong machine hash", good.id, good.secret, other.machine},
		{"unknown agent", newID(), good.secret, good.machine},
		{"no secret", good.id, "", good.machine},
		{"no machine hash", good.id, good.secret, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := dialTunnel(t.Context(), r, tc.id, tc.secret, tc.machine)
			if err == nil {
				s.Close()
				t.Fatal("tunnel opened")
			}
			if !errors.Is(err, tunnel.ErrUnauthorized) {
				t.Fatalf("dial: %v, want ErrUnauthorized", err)
			}
		})
	}
	t.Run("good, then replaced by a second connection", func(t *testing.T) {
		first := connectAgent(t, r, good)
		second := connectAgent(t, r, good)
		select {
		case <-first.sess.Done():
		case <-time.After(10 * time.Second):
		}
		if first.sess.Err() == nil {
			t.Fatal("the older tunnel is still open")
		}
		second.call(t, "GET", "/agent/v1/config", nil, http.StatusOK, nil)
		var agents []agentResponse
		r.call(t, "GET", "/api/v1/agents", acme.token, nil, http.StatusOK, &agents)
		for _, ag := range agents {
			if ag.ID == good.id && (!ag.Connected || ag.LastSeen.IsZero()) {
				t.Fatalf("agent listed as %+v", ag)
			}
		}
	})
}
