package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/internal/pgtest"
	"github.com/edgeprint/edgeprint/relay/store"
)

// waitFor bounds how long a test waits for a replica to drop out or come
// back: a limit on hanging, not a timing assertion.
const waitFor = 30 * time.Second

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// crash stops db the way a killed process would: its connections close,
// but nothing is deleted or said goodbye to.
func crash(db *DB) {
	db.closeOnce.Do(func() {
		db.listener.stop()
		db.pool.Close()
	})
}

func seed(t *testing.T, db *DB, agents ...string) {
	t.Helper()
	ctx := t.Context()
	if err := db.CreateCompany(ctx, store.Company{ID: "c1", Code: "ACME", Created: t0}); err != nil {
		t.Fatal(err)
	}
	for _, id := range agents {
		if err := db.ImportAgent(ctx, store.Agent{ID: id, CompanyID: "c1", Name: id, Registered: t0}); err != nil {
			t.Fatal(err)
		}
	}
}

func putTunnel(t *testing.T, db *DB, agent string) {
	t.Helper()
	if err := db.PutTunnel(t.Context(), store.Tunnel{AgentID: agent, CompanyID: "c1", Since: t0}); err != nil {
		t.Fatal(err)
	}
}

// tunnelsOn maps agent to replica as db sees them.
func tunnelsOn(t *testing.T, db *DB) map[string]string {
	t.Helper()
	ts, err := db.Tunnels(t.Context(), "c1")
	if err != nil {
		t.Fatalf("Tunnels: %v", err)
	}
	m := map[string]string{}
	for _, tn := range ts {
		m[tn.AgentID] = tn.Replica
	}
	return m
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKilledReplicaDropsOut: a replica that dies without closing (its
// row and tunnels stay) stops being listed by the others, through
// pg_stat_activity alone.
func TestKilledReplicaDropsOut(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	seed(t, a, "a1", "b1")
	putTunnel(t, a, "a1")
	putTunnel(t, b, "b1")
	if got := tunnelsOn(t, a); len(got) != 2 {
		t.Fatalf("tunnels before the kill: %v", got)
	}
	crash(b)
	eventually(t, "the killed replica's tunnel to drop out", func() bool {
		got := tunnelsOn(t, a)
		return len(got) == 1 && got["a1"] == a.ReplicaID()
	})
	var rows int
	if err := a.pool.QueryRow(t.Context(), `SELECT count(*) FROM tunnels WHERE replica = $1`, b.ReplicaID()).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("the killed replica's tunnel row: %d, %v; want it still there (liveness, not deletion, hides it)", rows, err)
	}
	// Its agent reconnects to a: the tunnel moves and is listed again.
	putTunnel(t, a, "b1")
	if got := tunnelsOn(t, a); got["b1"] != a.ReplicaID() {
		t.Fatalf("moved tunnel: %v", got)
	}
	// Messages to the dead replica are not an error and leave nothing.
	if err := a.Send(t.Context(), b.ReplicaID(), make([]byte, store.MaxMessage)); err != nil {
		t.Fatal(err)
	}
	if err := a.pool.QueryRow(t.Context(), `SELECT count(*) FROM messages`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("messages to a dead replica: %d rows, %v", rows, err)
	}
}

// TestSurvivesRestart: replicas keep working across a PostgreSQL crash
// and restart: they reconnect, listen again and are live again.
func TestSurvivesRestart(t *testing.T) {
	pgtest.Shared(t) // skip like the rest when PostgreSQL is missing
	srv, err := pgtest.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() }) // after the replicas close
	ctx := t.Context()
	url, err := srv.CreateDatabase(ctx, "relay")
	if err != nil {
		t.Fatal(err)
	}
	a, b := open(t, url), open(t, url)
	seed(t, a, "a1")
	putTunnel(t, a, "a1")
	got := make(chan store.Message, 100)
	if err := b.Listen(ctx, func(m store.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}

	// Send until b's listener is back; each round is a new payload.
	for i := 0; ; i++ {
		if i*200 > int(waitFor/time.Millisecond) {
			t.Fatal("no message reached b after the restart")
		}
		a.Send(ctx, b.ReplicaID(), fmt.Appendf(nil, "ping %d", i)) // fails until a's pool reconnects
		select {
		case m := <-got:
			if m.From != a.ReplicaID() {
				t.Fatalf("message from %q", m.From)
			}
		case <-time.After(200 * time.Millisecond):
			continue
		}
		break
	}
	big := make([]byte, store.MaxMessage)
	big[len(big)-1] = 7
	if err := a.Send(ctx, b.ReplicaID(), big); err != nil {
		t.Fatal(err)
	}
	for m := range got {
		if len(m.Payload) == len(big) {
			break // pings still in flight come first
		}
	}
	eventually(t, "a's tunnel to be listed again (a re-registered)", func() bool {
		ts, err := b.Tunnels(ctx, "c1")
		return err == nil && len(ts) == 1 && ts[0].Replica == a.ReplicaID()
	})
}

// TestBigMessagesWaitForAReconnect: a big message sent while the
// recipient's listener is away is delivered when it comes back.
func TestBigMessagesWaitForAReconnect(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	ctx := t.Context()
	got := make(chan store.Message, 10)
	if err := b.Listen(ctx, func(m store.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	// Kill b's listening backend; b reconnects on its own.
	var pid int
	if err := a.pool.QueryRow(ctx, `SELECT pid FROM replicas WHERE id = $1`, b.ReplicaID()).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 100_000)
	big[0] = 1
	// Insert the row as Send would while b is away, then let b come back.
	if _, err := a.pool.Exec(ctx, `INSERT INTO messages (recipient, sender, sent_ns, payload) VALUES ($1, $2, 0, $3)`,
		b.ReplicaID(), a.ReplicaID(), big); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.From != a.ReplicaID() || len(m.Payload) != len(big) || m.Payload[0] != 1 {
			t.Fatalf("got %d bytes from %s", len(m.Payload), m.From)
		}
	case <-time.After(waitFor):
		t.Fatal("the waiting message never came")
	}
	eventually(t, "b to be live again", func() bool {
		var live bool
		a.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM live_replicas WHERE id = $1)`, b.ReplicaID()).Scan(&live)
		return live
	})
}
