package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	closeTimeout   = 5 * time.Second  // Close's last statements
	setupTimeout   = 10 * time.Second // connect, LISTEN and register
	fetchTimeout   = 10 * time.Second // one big message from the messages table
	reconnectFirst = 100 * time.Millisecond
	reconnectMax   = 5 * time.Second

	// Keepalives on the listening connection, both ways: PostgreSQL drops
	// a replica whose host vanished (and with it the replica's liveness)
	// and the replica notices a server that vanished, in about 25 s.
	keepIdle, keepInterval, keepCount = 10 * time.Second, 5 * time.Second, 3

	// staleReplica is how long a replica that is not live keeps its row
	// (and tunnels) before another replica's Open deletes it: a replica
	// cut off from PostgreSQL finds its tunnels again if it returns sooner.
	staleReplica = 24 * time.Hour
	// staleMessage is how long a big message waits for a receiver that
	// does not come; requests between replicas time out long before.
	staleMessage = time.Hour
)

// listener is the replica's dedicated connection: it LISTENs on the
// replica's channel and the broadcast channel, and its backend is what
// makes the replica live (see the package doc).
type listener struct {
	d    *DB
	cfg  *pgx.ConnConfig
	log  *slog.Logger
	ctx  context.Context // cancelled by stop
	stop func()

	mu    sync.Mutex
	fn    func(store.Message)
	fnCtx context.Context
}

func channelOf(replica string) string { return "edgeprint_" + replica }

const broadcastChannel = "edgeprint_all"

// startListener connects, listens and registers the replica, then keeps
// doing so in the background until stop.
func startListener(ctx context.Context, d *DB, poolCfg *pgx.ConnConfig) (*listener, error) {
	cfg := poolCfg.Copy()
	cfg.RuntimeParams["application_name"] = "edgeprint relay " + d.replica
	cfg.RuntimeParams["tcp_keepalives_idle"] = fmt.Sprint(keepIdle.Seconds())
	cfg.RuntimeParams["tcp_keepalives_interval"] = fmt.Sprint(keepInterval.Seconds())
	cfg.RuntimeParams["tcp_keepalives_count"] = fmt.Sprint(keepCount)
	dialer := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: keepIdle, Interval: keepInterval, Count: keepCount}}
	cfg.DialFunc = dialer.DialContext

	runCtx, cancel := context.WithCancel(context.Background())
	l := &listener{d: d, cfg: cfg, log: slog.Default().With("replica", d.replica), ctx: runCtx}
	conn, err := l.connect(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	l.forgetStale(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.run(conn)
	}()
	l.stop = func() {
		cancel()
		<-done
	}
	return l, nil
}

// connect opens the listening connection, LISTENs and records this
// replica's backend in replicas.
func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, fmt.Errorf("store: listener: %w", err)
	}
	setup := `LISTEN ` + pgx.Identifier{channelOf(l.d.replica)}.Sanitize() + `; LISTEN ` + pgx.Identifier{broadcastChannel}.Sanitize()
	if _, err := conn.Exec(ctx, setup); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("store: listen: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO replicas (id, pid, backend_start, seen_ns)
		SELECT $1, pid, backend_start, $2 FROM pg_stat_activity WHERE pid = pg_backend_pid()
		ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, backend_start = excluded.backend_start, seen_ns = excluded.seen_ns`,
		l.d.replica, ns(time.Now())); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("store: register replica: %w", err)
	}
	return conn, nil
}

// forgetStale deletes replicas long dead and messages nobody fetched.
// Failing is harmless: the next Open tries again.
func (l *listener) forgetStale(ctx context.Context) {
	now := time.Now()
	if _, err := l.d.pool.Exec(ctx, `DELETE FROM replicas WHERE seen_ns < $1 AND id NOT IN (SELECT id FROM live_replicas)`,
		ns(now.Add(-staleReplica))); err != nil {
		l.log.Warn("forget stale replicas", "err", err)
	}
	if _, err := l.d.pool.Exec(ctx, `DELETE FROM messages WHERE sent_ns < $1`, ns(now.Add(-staleMessage))); err != nil {
		l.log.Warn("forget stale messages", "err", err)
	}
}

// run serves conn until it fails, then reconnects with capped, jittered
// backoff, until stop.
func (l *listener) run(conn *pgx.Conn) {
	for {
		err := l.serve(conn)
		closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		conn.Close(closeCtx)
		cancel()
		if l.ctx.Err() != nil {
			return
		}
		l.log.Warn("store listener lost its connection; reconnecting", "err", err)
		if conn = l.reconnect(); conn == nil {
			return
		}
		l.log.Info("store listener connected again")
	}
}

func (l *listener) reconnect() *pgx.Conn {
	wait := reconnectFirst
	for {
		select {
		case <-l.ctx.Done():
			return nil
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		}
		conn, err := l.connect(l.ctx)
		if err == nil {
			// Big messages sent while we were away are still in the table.
			if err := l.deliverPending(conn); err == nil {
				return conn
			}
			conn.Close(l.ctx)
		}
		wait = min(2*wait, reconnectMax)
	}
}

func (l *listener) serve(conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(l.ctx)
		if err != nil {
			return err
		}
		if err := l.handle(conn, n); err != nil {
			return err
		}
	}
}

// Notification payloads: "i<sender>:<base64 payload>" carries a message
// inline; "m<sender>:<id>" names a row of messages.
func (l *listener) handle(conn *pgx.Conn, n *pgconn.Notification) error {
	kind, rest := n.Payload[:min(1, len(n.Payload))], n.Payload[min(1, len(n.Payload)):]
	from, body, ok := strings.Cut(rest, ":")
	if !ok {
		l.log.Warn("store listener: malformed notification", "channel", n.Channel)
		return nil
	}
	switch kind {
	case "i":
		payload, err := decodeInline(body)
		if err != nil {
			l.log.Warn("store listener: malformed notification", "channel", n.Channel, "err", err)
			return nil
		}
		l.deliver(store.Message{From: from, Payload: payload})
	case "m":
		ctx, cancel := context.WithTimeout(l.ctx, fetchTimeout)
		defer cancel()
		var payload []byte
		err := conn.QueryRow(ctx, `DELETE FROM messages WHERE id = $1 AND recipient = $2 RETURNING payload`, body, l.d.replica).Scan(&payload)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // delivered already, after a reconnect
		} else if err != nil {
			return err
		}
		l.deliver(store.Message{From: from, Payload: payload})
	}
	return nil
}

func (l *listener) deliverPending(conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(l.ctx, fetchTimeout)
	defer cancel()
	rows, err := conn.Query(ctx, `WITH m AS (DELETE FROM messages WHERE recipient = $1 RETURNING id, sender, payload)
		SELECT sender, payload FROM m ORDER BY id`, l.d.replica)
	if err != nil {
		return err
	}
	var pending []store.Message
	for rows.Next() {
		var m store.Message
		if err := rows.Scan(&m.From, &m.Payload); err != nil {
			rows.Close()
			return err
		}
		pending = append(pending, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range pending {
		l.deliver(m)
	}
	return nil
}

// deliver hands m to the Listen callback, if one is listening.
func (l *listener) deliver(m store.Message) {
	l.mu.Lock()
	fn, ctx := l.fn, l.fnCtx
	l.mu.Unlock()
	if fn != nil && ctx.Err() == nil {
		fn(m)
	}
}

// Listen calls fn for every message sent to this replica or to all, in
// arrival order, until ctx is done or the store closes. The replica has
// listened since Open; messages that came before Listen are dropped.
func (d *DB) Listen(ctx context.Context, fn func(store.Message)) error {
	l := d.listener
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fn != nil {
		return errors.New("store: Listen called twice")
	}
	if l.ctx.Err() != nil {
		return errors.New("store: closed")
	}
	l.fn, l.fnCtx = fn, ctx
	return nil
}
