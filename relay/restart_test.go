package relay

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// TestRestartKeepsEverything stops a relay and starts another on the same
// data dir: users, tokens, agents, jobs, documents, the certificate and the
// master key all survive.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r1 := startRelay(t, dir)
	var ann struct{ ID string }
	r1.call(t, "POST", "/api/v1/users", acme.token, map[string]any{"email": "ann@acme.example", "name": "Ann", "password": "ann-password", "cards": []string{"CAFE"}}, 201, &ann)
	creds := registerTestAgent(t, r1, acme, "HQ-PC")
	a1 := connectAgent(t, r1, creds)
	jobID := newJobID()
	if st := a1.upload(t, jobID, ann.ID, "kept.pdf", document(7, 3<<20)); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	fingerprint := r1.srv.Fingerprint()
	masterKey, _ := os.ReadFile(filepath.Join(dir, masterKeyFile))

	t.Run("operator commands refuse a running relay", func(t *testing.T) {
		embeddedOnly(t, "the bbolt file lock; PostgreSQL serves any number of processes")
		_, err := CreateToken(t.Context(), dir, "ACME", "ci")
		if !errors.Is(err, ErrDataDirInUse) || !strings.Contains(err.Error(), "stop the relay first") {
			t.Fatalf("CreateToken while running: %v", err)
		}
	})
	if err := r1.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	select {
	case <-a1.sess.Done():
	default:
		t.Fatal("the agent's tunnel outlived the relay")
	}
	token2, err := CreateToken(t.Context(), dir, "acme", "ci")
	if err != nil {
		t.Fatal(err)
	}

	r2 := startRelay(t, dir)
	if r2.srv.Fingerprint() != fingerprint {
		t.Fatalf("certificate changed: %s, was %s", r2.srv.Fingerprint(), fingerprint)
	}
	if k, _ := os.ReadFile(filepath.Join(dir, masterKeyFile)); !bytes.Equal(k, masterKey) {
		t.Fatal("master key changed")
	}
	for _, tok := range []string{acme.token, token2} {
		var users []userResponse
		r2.call(t, "GET", "/api/v1/users", tok, nil, 200, &users)
		if len(users) != 2 {
			t.Fatalf("%d users after restart, want 2", len(users))
		}
	}
	var jobs []jobResponse
	r2.call(t, "GET", "/api/v1/jobs?state=held", acme.token, nil, 200, &jobs)
	if len(jobs) != 1 || jobs[0].ID != jobID || jobs[0].Name != "kept.pdf" {
		t.Fatalf("jobs after restart: %+v", jobs)
	}
	// The agent reconnects with its credentials and the document still
	// opens: the wrapped key and the master key survived.
	a2 := connectAgent(t, r2, creds)
	var id identity
	a2.call(t, "POST", "/agent/v1/cards/lookup", map[string]string{"card": "cafe"}, 200, &id)
	resp := a2.do(t, "GET", "/agent/v1/jobs/"+jobID+"/document", nil, nil)
	defer resp.Body.Close()
	got, n := sha(resp.Body)
	want, _ := sha(document(7, 3<<20))
	if resp.StatusCode != http.StatusOK || got != want {
		t.Fatalf("document after restart: %d, %d bytes, sha %s, want %s", resp.StatusCode, n, got, want)
	}
}

func TestOrphanedDocumentsAreSwept(t *testing.T) {
	embeddedOnly(t, "ages a file in the documents directory")
	dir := t.TempDir()
	initTenant(t, dir, "ACME")
	r := startRelay(t, dir)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	// A document whose job never reached the store (a crash in between).
	// One written long ago is swept; a fresh one may be another
	// replica's upload in flight and stays.
	db, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	old, fresh := newID(), newID()
	for _, id := range []string{old, fresh} {
		if _, _, err := db.WriteDocument(t.Context(), id, strings.NewReader("orphan")); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	ageDocument(t, dir, old, orphanAge+time.Hour)
	r = startRelay(t, dir)
	ids, err := r.srv.store.DocumentIDs(t.Context(), farFuture)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{fresh}) {
		t.Fatalf("documents left: %v, want only the fresh %s", ids, fresh)
	}
}

func TestOperator(t *testing.T) {
	dir := t.TempDir()
	res, err := Init(t.Context(), dir, InitOptions{CompanyCode: "acme", CompanyName: "Acme", AdminEmail: "Admin@Acme.example", AdminPassword: "chosen-password"})
	if err != nil {
		t.Fatal(err)
	}
	if res.AdminPassword != "chosen-password" || !strings.HasPrefix(res.APIToken, "ept_") || len(res.APIToken) != 4+43 || len(res.CompanyID) != 32 {
		t.Fatalf("Init result %+v", res)
	}
	generated, err := Init(t.Context(), dir, InitOptions{CompanyCode: "GLOBEX", CompanyName: "Globex", AdminEmail: "admin@globex.example"})
	if err != nil {
		t.Fatal(err)
	}
	if len(generated.AdminPassword) < 16 {
		t.Fatalf("generated password %q is weak", generated.AdminPassword)
	}

	bad := []struct {
		name string
		o    InitOptions
	}{
		{"existing code", InitOptions{CompanyCode: "ACME", CompanyName: "Again", AdminEmail: "a@b.example"}},
		{"bad code", InitOptions{CompanyCode: "a", CompanyName: "X", AdminEmail: "a@b.example"}},
		{"no name", InitOptions{CompanyCode: "NEWCO", AdminEmail: "a@b.example"}},
		{"bad email", InitOptions{CompanyCode: "NEWCO", CompanyName: "X", AdminEmail: "nope"}},
		{"short password", InitOptions{CompanyCode: "NEWCO", CompanyName: "X", AdminEmail: "a@b.example", AdminPassword: "short"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Init(t.Context(), dir, tc.o); err == nil {
				t.Fatal("Init succeeded")
			}
		})
	}
	if _, err := CreateToken(t.Context(), dir, "NOPE", "x"); err == nil {
		t.Fatal("CreateToken for an unknown company succeeded")
	}
	tok, err := CreateToken(t.Context(), dir, "acme", "ci")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("stored secrets are hashes", func(t *testing.T) {
		db, err := openStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := t.Context()
		u, err := db.UserByEmail(ctx, res.CompanyID, "admin@acme.example")
		if err != nil || !u.Admin {
			t.Fatalf("admin %+v, %v", u, err)
		}
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("password hash %q", u.PasswordHash)
		}
		if _, err := db.TokenByHash(ctx, hashSecret(tok)); err != nil {
			t.Fatalf("token not found by its hash: %v", err)
		}
		if _, err := db.TokenByHash(ctx, []byte(tok)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token stored in the clear: %v", err)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, dbFile))
		for _, secret := range []string{"chosen-password", tok, res.APIToken} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Fatalf("the database holds %q in the clear", secret)
			}
		}
	})
}
