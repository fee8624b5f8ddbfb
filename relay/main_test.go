package relay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/edgeprint/edgeprint/internal/pgtest"
)

// storeEnv picks the backend every relay test runs on: unset for the
// embedded store, "postgres" for a fresh PostgreSQL database per data dir
// on a cluster the test binary starts. TestBothBackends runs the suite
// again that way, so a plain `go test ./relay/` covers both.
const storeEnv = "EDGEPRINT_TEST_STORE"

// skippedMarker is what a postgres run prints when PostgreSQL is not
// installed, so the parent test skips rather than passes.
const skippedMarker = "relay tests: PostgreSQL not installed, skipped"

func TestMain(m *testing.M) {
	if os.Getenv(replicaEnv) != "" {
		os.Exit(runReplica()) // a replica process of TestReplicas
	}
	code := 0
	if os.Getenv(storeEnv) == "postgres" {
		code = runOnPostgres(m)
	} else {
		code = m.Run()
	}
	if err := stopTestCluster(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func runOnPostgres(m *testing.M) int {
	if _, err := testCluster(); errors.Is(err, pgtest.ErrNotInstalled) && os.Getenv("CI") == "" {
		fmt.Println(skippedMarker)
		return 0
	} else if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	testDatabase = func(dataDir string) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := os.Stat(filepath.Join(dataDir, databaseFile)); err == nil {
			return nil
		}
		url, err := newClusterDatabase()
		if err != nil {
			return err
		}
		return WriteDatabaseURL(dataDir, url)
	}
	return m.Run()
}

// usingPostgres reports whether the tests run on PostgreSQL.
func usingPostgres() bool { return os.Getenv(storeEnv) == "postgres" }

// embeddedOnly skips a test that checks what only the embedded store has.
func embeddedOnly(t *testing.T, why string) {
	t.Helper()
	if usingPostgres() {
		t.Skip("embedded store only: " + why)
	}
}

// The test binary's PostgreSQL cluster, started on first use. Not
// pgtest.Shared: the data dir hook has no *testing.T to give it.
var cluster struct {
	sync.Mutex
	srv *pgtest.Server
	dir string
	err error
	n   int
}

func testCluster() (*pgtest.Server, error) {
	cluster.Lock()
	defer cluster.Unlock()
	if cluster.srv == nil && cluster.err == nil {
		cluster.dir, cluster.err = os.MkdirTemp("", "relay-pg-")
		if cluster.err == nil {
			cluster.srv, cluster.err = pgtest.Start(cluster.dir)
		}
	}
	return cluster.srv, cluster.err
}

func newClusterDatabase() (string, error) {
	srv, err := testCluster()
	if err != nil {
		return "", err
	}
	cluster.Lock()
	cluster.n++
	name := fmt.Sprintf("relay_test_%d", cluster.n)
	cluster.Unlock()
	return srv.CreateDatabase(context.Background(), name)
}

// newTestDatabase is a fresh database for t; the test skips when
// PostgreSQL is not installed (fails when env CI is set).
func newTestDatabase(t *testing.T) string {
	t.Helper()
	url, err := newClusterDatabase()
	if errors.Is(err, pgtest.ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	return url
}

func stopTestCluster() error {
	cluster.Lock()
	defer cluster.Unlock()
	if cluster.srv == nil {
		return nil
	}
	err := cluster.srv.Stop()
	os.RemoveAll(cluster.dir)
	cluster.srv = nil
	return err
}
