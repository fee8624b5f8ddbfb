package postgres

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// maxInline bounds a NOTIFY payload we send: PostgreSQL refuses more than
// 8000 bytes; the margin covers the kind, sender id and colon.
const maxInline = 7500

func encodeInline(from string, payload []byte) string {
	return "i" + from + ":" + base64.StdEncoding.EncodeToString(payload)
}

func decodeInline(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// isReplicaID reports whether id has the form newReplicaID gives; other
// strings name no replica (and may not even make a channel name).
func isReplicaID(id string) bool {
	if len(id) != 2*replicaIDBytes {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// ReplicaID names this replica.
func (d *DB) ReplicaID() string { return d.replica }

// Send delivers payload to replica to, or to every live replica when to
// is "". A message that fits a NOTIFY goes inline; a bigger one is a row
// of messages per recipient, whose id is notified, inserted and notified
// in one statement (notifications go out at commit, so the row is there
// when the recipient looks).
func (d *DB) Send(ctx context.Context, to string, payload []byte) error {
	if len(payload) > store.MaxMessage {
		return fmt.Errorf("store: message of %d bytes is over the limit of %d", len(payload), store.MaxMessage)
	}
	if to != "" && !isReplicaID(to) {
		return nil // no such replica: nobody answers
	}
	if inline := encodeInline(d.replica, payload); len(inline) <= maxInline {
		channel := broadcastChannel
		if to != "" {
			channel = channelOf(to)
		}
		_, err := d.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, inline)
		return mapErr(err, nil)
	}
	recipients := `SELECT id FROM live_replicas`
	if to != "" {
		recipients += ` WHERE id = $4`
	}
	args := []any{d.replica, ns(time.Now()), payload}
	if to != "" {
		args = append(args, to)
	}
	_, err := d.pool.Exec(ctx, `WITH m AS (
			INSERT INTO messages (recipient, sender, sent_ns, payload)
			SELECT id, $1, $2, $3 FROM (`+recipients+`) r
			RETURNING id, recipient)
		SELECT count(pg_notify('edgeprint_' || recipient, 'm' || $1 || ':' || id)) FROM m`, args...)
	if violation(err, codeForeignKeyViolation) != "" {
		return nil // the recipient closed meanwhile
	}
	return mapErr(err, nil)
}

// PutTunnel records that t.AgentID's tunnel is on this replica, replacing
// wherever it was.
func (d *DB) PutTunnel(ctx context.Context, t store.Tunnel) error {
	if err := checkKeys(t.AgentID, t.CompanyID); err != nil {
		return err
	}
	t.Replica = d.replica
	data, err := encode(t)
	if err != nil {
		return err
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO tunnels (agent_id, company_id, replica, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (agent_id) DO UPDATE SET company_id = excluded.company_id, replica = excluded.replica, data = excluded.data`,
		t.AgentID, t.CompanyID, t.Replica, data)
	return mapErr(err, nil)
}

// DeleteTunnel forgets agentID's tunnel if it is still on this replica.
func (d *DB) DeleteTunnel(ctx context.Context, agentID string) error {
	if !validKey(agentID) {
		return nil
	}
	_, err := d.pool.Exec(ctx, `DELETE FROM tunnels WHERE agent_id = $1 AND replica = $2`, agentID, d.replica)
	return mapErr(err, nil)
}

// Tunnels lists the tunnels of companyID's agents on live replicas.
func (d *DB) Tunnels(ctx context.Context, companyID string) ([]store.Tunnel, error) {
	return queryList[store.Tunnel](ctx, d.pool, `SELECT data FROM tunnels
		WHERE company_id = $1 AND replica IN (SELECT id FROM live_replicas) ORDER BY agent_id`, companyID)
}
