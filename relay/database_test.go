package relay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitWithDatabase: `relay init --database URL` writes the database
// file and puts the company there; the data dir holds no embedded store.
func TestInitWithDatabase(t *testing.T) {
	if usingPostgres() {
		t.Skip("every data dir names a database in this run already")
	}
	url := newTestDatabase(t)
	dir := t.TempDir()
	if _, err := Init(t.Context(), dir, InitOptions{CompanyCode: "ACME", CompanyName: "Acme", AdminEmail: "admin@acme.example", Database: url}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, databaseFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("database file: %v %v", info, err)
	}
	if got, err := ReadDatabaseURL(dir); err != nil || got != url {
		t.Fatalf("ReadDatabaseURL = %q, %v; want %q", got, err, url)
	}
	db, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CompanyByCode(t.Context(), "ACME"); err != nil {
		t.Fatalf("company not in the database: %v", err)
	}
	for _, name := range []string{dbFile, documentsDir} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Fatalf("%s made in a data dir that names a database", name)
		}
	}
}

func TestDatabaseSettingsChecked(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDatabaseURL(dir, "mysql://x"); err == nil {
		t.Fatal("a mysql URL was accepted")
	}
	if err := (Config{DataDir: dir, Database: "relay.db"}).Validate(); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("Validate: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, databaseFile), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(dir); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty database file: %v", err)
	}
}
