package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/bolt"
)

// Migrate copies the embedded store of the relay data dir dataDir (its
// records and held documents) into the empty PostgreSQL database at url,
// checks the copy record by record and document by document, and only
// then points the data dir at the database by writing dataDir/database.
// The relay must be stopped. On any failure the data dir is left as it
// was: the relay keeps running on the embedded store, and the target
// database should be dropped and created again before another try.
// Progress and the summary go to progress. Console sessions and rate-limit
// buckets are not copied: people sign in again after the move.
func Migrate(ctx context.Context, dataDir, url string, progress io.Writer) error {
	return migrateDataDir(ctx, dataDir, url, progress, openPostgresTarget)
}

func migrateDataDir(ctx context.Context, dataDir, url string, progress io.Writer,
	openTarget func(ctx context.Context, url string) (store.Store, error)) (err error) {
	if dataDir == "" || url == "" {
		return errors.New("relay migrate: the data dir and the target URL are required")
	}
	if _, err := os.Stat(filepath.Join(dataDir, databaseFile)); err == nil {
		return fmt.Errorf("relay migrate: %s already names a database: this data dir was migrated", filepath.Join(dataDir, databaseFile))
	}
	// Never create what should be there: a typo in --data-dir must not
	// migrate a fresh empty store or mint a new master key.
	for _, name := range []string{dbFile, masterKeyFile} {
		if _, err := os.Stat(filepath.Join(dataDir, name)); err != nil {
			return fmt.Errorf("relay migrate: %s is not a relay data dir: %w", dataDir, err)
		}
	}
	keys, err := loadMasterKey(dataDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("relay migrate: %w", err)
	}
	src, err := bolt.Open(filepath.Join(dataDir, dbFile))
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("relay migrate: %w: the store cannot move while a relay (or another command) uses it", err)
	} else if err != nil {
		return fmt.Errorf("relay migrate: %w", err)
	}
	defer src.Close()
	dst, err := openTarget(ctx, url)
	if err != nil {
		return fmt.Errorf("relay migrate: open the target database: %w", err)
	}
	defer dst.Close()
	m := &migration{src: src, dst: dst, keys: keys, out: progress}
	// Before anything is written: a database in use is not ours to clear.
	if err := m.checkEmpty(ctx); err != nil {
		return fmt.Errorf("relay migrate: %w", err)
	}

	defer func() {
		if err != nil {
			err = fmt.Errorf("relay migrate: %w\nnothing in %s changed; the relay still uses its embedded store. "+
				"Drop and create the target database again (dropdb NAME; createdb -O OWNER NAME), then run relay migrate again", err, dataDir)
		}
	}()
	if err := m.copyAll(ctx); err != nil {
		return err
	}
	if err := m.verify(ctx); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	// Last: from here on the relay uses the database (database.go).
	if err := WriteDatabaseURL(dataDir, url); err != nil {
		return err
	}
	m.summary()
	fmt.Fprintf(progress, "%s now names the database: start the relay with --data-dir %s\n", filepath.Join(dataDir, databaseFile), dataDir)
	// The old store is kept as a way back, but nothing sweeps it any more:
	// its documents would outlive the retention policy.
	fmt.Fprintf(progress, "%s and %s are no longer used: once the relay runs well on PostgreSQL, delete them (their documents are not swept by retention)\n",
		filepath.Join(dataDir, dbFile), filepath.Join(dataDir, bolt.DocumentsDir)+string(filepath.Separator))
	return nil
}
