package bolt

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// TestJobOwnerIndexBackfill opens a file whose jobs predate the index.
func TestJobOwnerIndexBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := db.CreateCompany(ctx, store.Company{ID: "c1", Code: "ACME", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"j1", "j2"} {
		if err := db.CreateJob(ctx, store.Job{ID: id, CompanyID: "c1", UserID: "u1", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketJobOwners) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Jobs(ctx, "c1", store.JobFilter{UserID: "u1"})
	if err != nil || len(got) != 2 {
		t.Fatalf("after backfill: %+v, %v", got, err)
	}
}
