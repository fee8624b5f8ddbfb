package main

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/edgeprint/edgeprint/relay"
)

// runRelayMigrate moves a stopped relay's embedded store into PostgreSQL.
func runRelayMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("relay migrate", "edgeprint relay migrate --data-dir DIR --to postgres://USER@HOST/DB", stderr)
	dataDir := fs.String("data-dir", defaultRelayDataDir, "the data directory of the stopped relay")
	to := fs.String("to", "", "URL of an empty PostgreSQL database to move the store into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if !strings.HasPrefix(*to, "postgres://") && !strings.HasPrefix(*to, "postgresql://") {
		fs.Usage()
		return errors.New("relay migrate: --to must be a postgres:// URL")
	}
	return relay.Migrate(ctx, *dataDir, *to, stdout)
}
