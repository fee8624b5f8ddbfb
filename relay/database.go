package relay

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/bolt"
	"github.com/edgeprint/edgeprint/relay/store/postgres"
)

// databaseFile in a data dir holds the PostgreSQL URL of the store its
// relay shares with its replicas; without it the relay keeps the embedded
// store (relay.db and documents/) in the data dir.
const databaseFile = "database"

// openTimeout bounds connecting to PostgreSQL and applying migrations.
const openTimeout = time.Minute

// openStore opens dataDir's store: PostgreSQL when the data dir names a
// database, else the embedded one.
func openStore(dataDir string) (store.Store, error) {
	return openStoreURL(dataDir, "")
}

// testDatabase is set by tests only (TestMain, with env
// EDGEPRINT_TEST_STORE=postgres): it gives a data dir that names no
// database a fresh one, so every test runs on PostgreSQL.
var testDatabase func(dataDir string) error

// openStoreURL opens the PostgreSQL store at url, or when url is empty the
// one the data dir names, or else the embedded store.
func openStoreURL(dataDir, url string) (store.Store, error) {
	if url == "" && testDatabase != nil {
		if err := testDatabase(dataDir); err != nil {
			return nil, err
		}
	}
	if url == "" {
		var err error
		if url, err = ReadDatabaseURL(dataDir); err != nil {
			return nil, err
		}
	}
	if url != "" {
		return openPostgres(url)
	}
	db, err := bolt.Open(filepath.Join(dataDir, dbFile))
	if errors.Is(err, store.ErrInUse) {
		return nil, err // says what to do already
	} else if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return db, nil
}

// ReadDatabaseURL returns the PostgreSQL URL dataDir names, "" when it
// names none (the embedded store).
func ReadDatabaseURL(dataDir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dataDir, databaseFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("relay: database file: %w", err)
	}
	url := strings.TrimSpace(string(raw))
	if url == "" {
		return "", fmt.Errorf("relay: database file %s is empty: remove it to use the embedded store", filepath.Join(dataDir, databaseFile))
	}
	return url, nil
}

// WriteDatabaseURL makes dataDir's relay use the PostgreSQL database at
// url (mode 0600: the URL may carry a password).
func WriteDatabaseURL(dataDir, url string) error {
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return errors.New("relay: database must be a postgres:// URL")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("relay: data dir: %w", err)
	}
	path := filepath.Join(dataDir, databaseFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(url+"\n"), 0o600); err != nil {
		return fmt.Errorf("relay: database file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("relay: database file: %w", err)
	}
	return nil
}

func openPostgres(url string) (store.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return db, nil
}
