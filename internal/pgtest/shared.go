package pgtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

var shared struct {
	sync.Mutex
	server *Server
	dir    string
	err    error // why the first start failed; later callers get it too
}

// Shared returns the test binary's cluster, starting it on first use. It
// skips the test when PostgreSQL is not installed, unless env CI is set.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.server == nil && shared.err == nil {
		shared.server, shared.dir, shared.err = startShared()
	}
	switch {
	case errors.Is(shared.err, ErrNotInstalled) && os.Getenv("CI") == "":
		t.Skip(shared.err)
	case shared.err != nil:
		t.Fatal(shared.err)
	}
	return shared.server
}

func startShared() (*Server, string, error) {
	if _, err := binDir(); err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, "", fmt.Errorf("pgtest: %w", err)
	}
	s, err := Start(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	return s, dir, nil
}

// NewDatabase creates a fresh empty database on the shared cluster for
// the test and returns its URL. The database is dropped when the test
// ends (after the test's own cleanups, which were registered later).
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	name := "test_" + rand.Text()[:16]
	url, err := s.CreateDatabase(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.DropDatabase(context.Background(), name); err != nil {
			t.Log(err)
		}
	})
	return url
}

// Main runs the tests, then stops the shared cluster (if one started) and
// exits. Use it as TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func stopShared() error {
	shared.Lock()
	defer shared.Unlock()
	if shared.server == nil {
		return nil
	}
	err := shared.server.Stop()
	os.RemoveAll(shared.dir)
	shared.server = nil
	shared.err = errors.New("pgtest: the shared cluster has stopped")
	return err
}
