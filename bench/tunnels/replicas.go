package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/edgeprint/edgeprint/internal/pgtest"
	"github.com/edgeprint/edgeprint/relay"
)

// runReplicas moves a copy of the seeded data dir into a fresh PostgreSQL
// (with relay migrate, as an operator would), gives every replica a data
// dir with the same master key, certificate and database file, and runs
// the mode on them.
func runReplicas(ctx context.Context, o options, bin, work string, fx *fixture) (result, error) {
	pgDir := filepath.Join(work, "postgres")
	if err := os.MkdirAll(pgDir, 0o755); err != nil {
		return result{}, err
	}
	pg, err := pgtest.Start(pgDir)
	if err != nil {
		return result{}, fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer pg.Stop()
	url, err := pg.CreateDatabase(ctx, "bench")
	if err != nil {
		return result{}, err
	}
	first := filepath.Join(work, "replica-0")
	if err := copyFiles(fx.dir, first, "relay.db", "master.key", "relay.crt", "relay.key"); err != nil {
		return result{}, err
	}
	t0 := time.Now()
	logPath := filepath.Join(work, "migrate.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return result{}, err
	}
	err = relay.Migrate(ctx, first, url, logf)
	logf.Close()
	if err != nil {
		return result{}, fmt.Errorf("migrate the seed into PostgreSQL: %w\n%s", err, tail(logPath))
	}
	fmt.Printf("\nmigrated the seeded store into PostgreSQL (edgeprint relay migrate) in %v\n", time.Since(t0).Round(time.Millisecond))
	dirs := []string{first}
	for i := 1; i < o.replicas; i++ {
		dir := filepath.Join(work, fmt.Sprintf("replica-%d", i))
		if err := copyFiles(first, dir, "master.key", "relay.crt", "relay.key", "database"); err != nil {
			return result{}, err
		}
		dirs = append(dirs, dir)
	}
	return runMode(ctx, o, fmt.Sprintf("%d replicas, PostgreSQL", o.replicas), bin, work, fx, dirs)
}

func copyFiles(from, to string, names ...string) error {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	for _, n := range names {
		if err := copyFile(filepath.Join(from, n), filepath.Join(to, n)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
