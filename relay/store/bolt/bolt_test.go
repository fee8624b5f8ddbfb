package bolt

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open(filepath.Join(t.TempDir(), "relay.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestOpenTwiceIsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(path); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion()
	if err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(migrations))
	}
	db.Close()

	t.Run("added migration runs once", func(t *testing.T) {
		raw, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs := 0
		more := append(migrations[:len(migrations):len(migrations)], migration{"test", func(tx *bolt.Tx) error {
			runs++
			_, err := tx.CreateBucket([]byte("test"))
			return err
		}})
		for range 2 {
			if err := migrate(raw, more); err != nil {
				t.Fatal(err)
			}
		}
		raw.Close()
		if runs != 1 {
			t.Fatalf("migration ran %d times", runs)
		}
	})
	t.Run("newer file is refused", func(t *testing.T) {
		if _, err := Open(path); err == nil {
			t.Fatal("opened a file with a newer schema")
		}
	})
}
