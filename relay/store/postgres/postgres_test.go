package postgres

import (
	"context"
	"testing"

	"github.com/edgeprint/edgeprint/internal/pgtest"
	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open opens a replica on url, closed when the test ends.
func open(t testing.TB, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, pgtest.NewDatabase(t))
	})
}

func TestReplicas(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T) storetest.Replicas {
		url := pgtest.NewDatabase(t)
		return func() store.Store { return open(t, url) }
	})
}
