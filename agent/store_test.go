package agent

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestStoreJobsAndOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	j := JobRecord{ID: "j1", User: User{ID: "u1"}, Name: "a.pdf", Created: time.Now(), Key: []byte("k")}
	if err := s.AddJob(&j); err != nil {
		t.Fatal(err)
	}
	k := JobRecord{ID: "j2", User: User{ID: "u2"}}
	s.AddJob(&k)
	if j.Number < 1 || k.Number != j.Number+1 {
		t.Fatalf("job numbers %d, %d", j.Number, k.Number)
	}
	if err := s.MarkUploaded("j1"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(StateReport{JobID: "j1", State: "printed", PrinterID: "p"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Reopen: what was committed is there.
	s, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Job("j1"); err != ErrJobNotFound {
		t.Fatalf("printed job still stored: %v", err)
	}
	reps, _ := s.Reports()
	if len(reps) != 1 || reps[0].JobID != "j1" || reps[0].State != "printed" {
		t.Fatalf("reports %+v", reps)
	}
	left, _ := s.Jobs(func(JobRecord) bool { return true })
	if len(left) != 1 || left[0].ID != "j2" || left[0].Uploaded {
		t.Fatalf("jobs %+v", left)
	}
}

func TestStoreRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	s, _ := OpenStore(path)
	s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, 99))
	})
	s.Close()
	if _, err := OpenStore(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("opened a database from the future: %v", err)
	}
}

func TestCardCacheIsHashed(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), "agent.db"))
	defer s.Close()
	s.CacheCard("04A1B2C3", User{ID: "u1", Email: "a@x"})
	u, ok, err := s.CachedCard("04A1B2C3")
	if err != nil || !ok || u.ID != "u1" {
		t.Fatalf("cached card: %+v %v %v", u, ok, err)
	}
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCards).ForEach(func(k, _ []byte) error {
			if strings.Contains(string(k), "04A1B2C3") {
				t.Fatal("card number stored in the clear")
			}
			return nil
		})
	})
}

func TestSecretRedacts(t *testing.T) {
	id := Identity{AgentID: "a1", Secret: "s3cr3t-value"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "id", id, "secret", id.Secret)
	js, _ := json.Marshal(id)
	for _, out := range []string{logged.String(), string(js), fmt.Sprintf("%v %+v %#v %s", id, id, id, id.Secret)} {
		if strings.Contains(out, "s3cr3t") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	dir := t.TempDir()
	if err := id.Save(dir); err != nil {
		t.Fatal(err)
	}
	id.RelayURL = "https://r"
	id.Save(dir)
	back, err := LoadIdentity(dir)
	if err != nil || back.Secret.Reveal() != "s3cr3t-value" {
		t.Fatalf("identity round trip: %+v %v", back, err)
	}
}
