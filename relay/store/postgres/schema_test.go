package postgres

import (
	"strings"
	"sync"
	"testing"

	"github.com/edgeprint/edgeprint/internal/pgtest"
)

// TestMigrationsRace: replicas opening a fresh database together apply
// each step once.
func TestMigrationsRace(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const replicas = 6
	var wg sync.WaitGroup
	dbs := make([]*DB, replicas)
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var rows, top int
	if err := dbs[0].pool.QueryRow(t.Context(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&rows, &top); err != nil {
		t.Fatal(err)
	}
	if want := len(migrations) - 1; rows != want || top != want {
		t.Fatalf("schema_migrations: %d rows up to %d, want %d", rows, top, want)
	}
	if v, err := dbs[1].SchemaVersion(t.Context()); err != nil || v != len(migrations)-1 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
}

// TestNewerSchemaRefused: a database migrated by a newer relay is not
// misread by this one.
func TestNewerSchemaRefused(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db := open(t, url)
	if _, err := db.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, len(migrations)); err != nil {
		t.Fatal(err)
	}
	if db2, err := Open(t.Context(), url); err == nil || !strings.Contains(err.Error(), "newer") {
		if err == nil {
			db2.Close()
		}
		t.Fatalf("Open of a newer schema: %v, want refused", err)
	}
}
