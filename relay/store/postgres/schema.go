package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations are the schema, one step per version: append new steps at
// the end and never edit or reorder the ones released. The schema version
// of a database is the highest version in schema_migrations.
var migrations = []string{
	1: `
CREATE TABLE companies (
	id   text COLLATE "C" PRIMARY KEY,
	code text COLLATE "C" NOT NULL CONSTRAINT companies_code UNIQUE,
	data json NOT NULL
);

CREATE TABLE users (
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	id         text COLLATE "C" NOT NULL,
	email      text COLLATE "C" NOT NULL,
	data       json NOT NULL,
	PRIMARY KEY (company_id, id),
	CONSTRAINT users_email UNIQUE (company_id, email)
);

CREATE TABLE user_cards (
	company_id text COLLATE "C" NOT NULL,
	card       text COLLATE "C" NOT NULL,
	user_id    text COLLATE "C" NOT NULL,
	CONSTRAINT user_cards_card PRIMARY KEY (company_id, card),
	FOREIGN KEY (company_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX user_cards_user ON user_cards (company_id, user_id);

CREATE TABLE tokens (
	hash       bytea PRIMARY KEY,
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	created_ns bigint NOT NULL,
	data       json NOT NULL
);
CREATE INDEX tokens_company ON tokens (company_id, created_ns);

CREATE TABLE activation_codes (
	hash       bytea PRIMARY KEY,
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	created_ns bigint NOT NULL,
	data       json NOT NULL
);
CREATE INDEX activation_codes_company ON activation_codes (company_id, created_ns);

CREATE TABLE agents (
	id         text COLLATE "C" PRIMARY KEY,
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	name       text COLLATE "C" NOT NULL,
	data       json NOT NULL
);
CREATE INDEX agents_company ON agents (company_id, name, id);

CREATE TABLE sites (
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	id         text COLLATE "C" NOT NULL,
	name       text COLLATE "C" NOT NULL,
	name_key   bytea NOT NULL, -- SHA-256 of the case-folded name
	data       json NOT NULL,
	PRIMARY KEY (company_id, id),
	CONSTRAINT sites_name UNIQUE (company_id, name_key)
);

CREATE TABLE printers (
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	id         text COLLATE "C" NOT NULL,
	name       text COLLATE "C" NOT NULL,
	data       json NOT NULL,
	PRIMARY KEY (company_id, id)
);

CREATE TABLE readers (
	company_id text COLLATE "C" NOT NULL,
	id         text COLLATE "C" NOT NULL,
	printer_id text COLLATE "C" NOT NULL,
	address    text COLLATE "C" NOT NULL,
	data       json NOT NULL,
	PRIMARY KEY (company_id, id),
	FOREIGN KEY (company_id, printer_id) REFERENCES printers
);

CREATE TABLE jobs (
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	id         text COLLATE "C" NOT NULL,
	user_id    text COLLATE "C" NOT NULL,
	state      text COLLATE "C" NOT NULL,
	created_ns bigint NOT NULL,
	stored_ns  bigint NOT NULL,
	has_doc    boolean NOT NULL,
	data       json NOT NULL,
	PRIMARY KEY (company_id, id)
);
CREATE INDEX jobs_created ON jobs (company_id, created_ns, id);
CREATE INDEX jobs_owner ON jobs (company_id, user_id, created_ns, id);
CREATE INDEX jobs_stored ON jobs (company_id, stored_ns) WHERE has_doc;

CREATE TABLE audit_events (
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	at_ns      bigint NOT NULL,
	id         text COLLATE "C" NOT NULL,
	kind       text COLLATE "C" NOT NULL,
	outcome    text COLLATE "C" NOT NULL,
	channel    text COLLATE "C" NOT NULL,
	user_id    text COLLATE "C" NOT NULL,
	data       json NOT NULL,
	PRIMARY KEY (company_id, at_ns, id)
);
CREATE INDEX audit_events_time ON audit_events (at_ns);

CREATE TABLE unknown_cards (
	company_id text COLLATE "C" NOT NULL REFERENCES companies,
	reader_id  text COLLATE "C" NOT NULL,
	id         text COLLATE "C" NOT NULL,
	seen_ns    bigint NOT NULL,
	data       json NOT NULL,
	PRIMARY KEY (company_id, reader_id, id)
);
CREATE INDEX unknown_cards_seen ON unknown_cards (seen_ns);

CREATE TABLE sessions (
	id_hash      bytea PRIMARY KEY,
	company_id   text COLLATE "C" NOT NULL,
	user_id      text COLLATE "C" NOT NULL,
	admin        boolean NOT NULL,
	csrf         text NOT NULL,
	created_ns   bigint NOT NULL,
	last_used_ns bigint NOT NULL
);
CREATE INDEX sessions_last_used ON sessions (last_used_ns);

-- Token buckets as a theoretical arrival time (GCRA): the bucket is full
-- when tat <= now, and a token is there when tat <= now + (burst-1)*every.
CREATE TABLE limits (
	key_hash   bytea PRIMARY KEY, -- SHA-256 of the key: keys are opaque and unbounded
	tat_ns     bigint NOT NULL,
	changed_ns bigint NOT NULL
);
CREATE INDEX limits_changed ON limits (changed_ns);

CREATE TABLE runs (
	name    text COLLATE "C" PRIMARY KEY,
	last_ns bigint NOT NULL
);

CREATE TABLE documents (
	id        text COLLATE "C" PRIMARY KEY,
	stored_ns bigint NOT NULL,
	size      bigint NOT NULL,  -- plaintext bytes
	chunks    integer NOT NULL  -- rows in document_chunks
);
CREATE INDEX documents_stored ON documents (stored_ns);

CREATE TABLE document_chunks (
	document_id text COLLATE "C" NOT NULL REFERENCES documents ON DELETE CASCADE,
	seq         integer NOT NULL,
	data        bytea NOT NULL, -- DARE ciphertext, a slice of the document's stream
	PRIMARY KEY (document_id, seq)
);
-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- A replica is live while the backend of its listening connection is.
CREATE TABLE replicas (
	id            text COLLATE "C" PRIMARY KEY,
	pid           integer NOT NULL,
	backend_start timestamptz NOT NULL,
	seen_ns       bigint NOT NULL
);
CREATE VIEW live_replicas AS
	SELECT r.id FROM replicas r
	JOIN pg_stat_activity a ON a.pid = r.pid AND a.backend_start = r.backend_start;

CREATE TABLE tunnels (
	agent_id   text COLLATE "C" PRIMARY KEY,
	company_id text COLLATE "C" NOT NULL,
	replica    text COLLATE "C" NOT NULL REFERENCES replicas ON DELETE CASCADE,
	data       json NOT NULL
);
CREATE INDEX tunnels_company ON tunnels (company_id, agent_id);
CREATE INDEX tunnels_replica ON tunnels (replica);

-- Messages too big for a NOTIFY payload; the receiver deletes its row.
CREATE TABLE messages (
	id         bigserial PRIMARY KEY,
	recipient  text COLLATE "C" NOT NULL REFERENCES replicas ON DELETE CASCADE,
	sender     text COLLATE "C" NOT NULL,
	sent_ns    bigint NOT NULL,
	payload    bytea NOT NULL
);
CREATE INDEX messages_recipient ON messages (recipient, id);
`,
}

// migrationLock is the pg_advisory_xact_lock key that serialises
// replicas migrating the same database at once ("edgeprint" in ASCII).
const migrationLock = 0x6564676570726e74

// migrate applies the steps the database lacks, all in one transaction
// under the advisory lock, and refuses a schema newer than this binary's.
func migrate(ctx context.Context, conn interface {
	Begin(context.Context) (pgx.Tx, error)
}) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("store: lock schema: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY,
			applied timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("store: schema_migrations: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return fmt.Errorf("store: schema version: %w", err)
		}
		known := len(migrations) - 1
		if have > known {
			return fmt.Errorf("store: schema version %d is newer than this relay knows (%d): upgrade the relay", have, known)
		}
		for v := have + 1; v <= known; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("store: schema migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("store: schema migration %d: %w", v, err)
			}
		}
		return nil
	})
}
