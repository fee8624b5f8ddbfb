package relay

import (
	"context"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/postgres"
)

// openPostgresTarget opens the database Migrate copies into; Open applies
// the schema migrations to the empty database.
func openPostgresTarget(ctx context.Context, url string) (store.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	return postgres.Open(ctx, url)
}
