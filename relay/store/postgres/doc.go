// Package postgres is the relay's store in PostgreSQL (github.com/jackc/pgx/v5),
// for a relay run as several identical replicas that share nothing else.
// Each opened DB is one replica. Open applies the schema migrations and
// starts the replica's listener.
//
// # Schema
//
// One table per record type. Ids, company_id and every unique key are real
// columns with primary keys and unique constraints (company code; user
// email and cards per company, cards in user_cards; token and activation
// code hashes; agent id, global; job id per company; site name per
// company, case-folded and hashed), so PostgreSQL enforces them across
// replicas and a violation (23505) becomes a *store.ConflictError. A
// missing company or printer is a foreign key violation (23503), reported
// as store.ErrNotFound. Everything else of a record is a json column
// holding the record's JSON, as store/bolt keeps it: json, not jsonb,
// because jsonb rejects "\u0000" in strings and reorders raw JSON fields
// (Reader.Conversion). Columns that order or filter (names, addresses,
// states, times) are copies kept in step by every write. Times in those
// columns are Unix nanoseconds (bigint): exact like time.Time, where
// timestamptz keeps microseconds and would reorder or miscount records
// created in the same microsecond. Text columns sort with COLLATE "C",
// the byte order store/bolt has. Every query of a company's records has
// company_id in its WHERE clause; ids that PostgreSQL text cannot hold
// (NUL, invalid UTF-8, over 256 bytes) find nothing.
//
// Update methods read the row with SELECT ... FOR UPDATE, run fn on the
// decoded copy and write it back in the same transaction. Rate limits,
// periodic runs and session touches are single upserts or updates whose
// row lock serialises replicas; rate-limit keys are stored as SHA-256, so
// any key fits.
//
// # Migrations
//
// schema_migrations holds one row per applied step of migrations (an
// append-only list). Open applies the missing steps in one transaction
// under pg_advisory_xact_lock, so replicas starting together apply each
// step once, and refuses a database whose schema is newer than it knows.
//
// # Documents
//
// Documents are encrypted like package docstore's files: DARE 2.0
// (github.com/minio/sio), AES-256-GCM, a fresh random key per document
// that the caller keeps (wrapped) in the job. The ciphertext is cut into
// 1 MiB rows of document_chunks (storage EXTERNAL: ciphertext does not
// compress) written as the document streams in, in one transaction that
// commits at the end, so a document is durable when WriteDocument returns
// and a failed one leaves nothing. Reading fetches one chunk per query, so
// neither side holds more than a chunk; tampering, truncation or a wrong
// key is a read error, as DARE authenticates every 64 KiB package and the
// end of the stream.
//
// # Replicas
//
// Replicas reach each other with LISTEN/NOTIFY, PostgreSQL's own
// messaging, so nothing polls. Each replica has one dedicated connection
// (not from the pool) that LISTENs on its channel (edgeprint_<replica id>)
// and the broadcast channel (edgeprint_all). A message whose base64 fits
// a NOTIFY payload (PostgreSQL's limit is 8000 bytes; we stop at 7500)
// goes inline; a bigger one, up to store.MaxMessage, is a row of messages
// per recipient, inserted and notified in one statement, which the
// recipient deletes as it reads it. PostgreSQL delivers notifications in
// commit order, so one sender's messages arrive in the order sent.
//
// A replica is live while its listening connection is: replicas records
// each replica's listener backend pid and backend_start, and the view
// live_replicas keeps a replica only while pg_stat_activity still shows
// that backend. A killed replica's connection closes with it, so it drops
// out at once, with no heartbeat, lease or sweep; keepalives on the
// listening connection bound how long a vanished host takes (about 25 s).
// Tunnels joins tunnels on live_replicas; PutTunnel upserts by agent id,
// so an agent that reconnects elsewhere moves. Close deletes the
// replica's row, and its tunnels and pending messages with it.
//
// When the listening connection drops (a PostgreSQL restart), the replica
// reconnects with capped, jittered backoff, LISTENs again, re-registers
// its new backend and delivers the big messages that wait in the table.
// Inline messages sent while it was away are lost, like a request to a
// replica that is down: callers time out and retry.
//
// # Limits
//
//   - All replicas must connect as the same role (or one with
//     pg_read_all_stats): pg_stat_activity hides other roles' backends.
//   - LISTEN needs a session: connect to PostgreSQL directly or through a
//     session-mode pooler, not a transaction-mode one.
//   - The pool holds at most 20 connections unless the URL sets
//     pool_max_conns; each replica also holds its listening connection.
//     A document being written holds a connection until its upload ends,
//     so at most half the pool writes documents at once; more wait.
//   - A replica cut off from PostgreSQL for more than a day loses its row
//     (another replica's Open deletes it), and with it its tunnels.
package postgres
