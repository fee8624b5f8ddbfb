package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// Replicas opens one more replica (a Store with its own ReplicaID) on the
// database the suite is testing; the suite closes it.
type Replicas func() store.Store

// RunReplicas runs the tests that need several replicas sharing one
// database. For each test, open prepares a new empty database and returns
// the way to open replicas on it. Backends that are one replica by nature
// (store/bolt) run only Run.
func RunReplicas(t *testing.T, open func(t *testing.T) Replicas) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, r *replicas)
	}{
		{"replicas share sessions", testReplicaSessions},
		{"replicas share limits and runs", testReplicaLimits},
		{"replicas share documents", testReplicaDocuments},
		{"replicas message each other", testReplicaMessages},
		{"replicas share tunnels", testReplicaTunnels},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &replicas{open: open(t), closed: map[store.Store]bool{}}
			t.Cleanup(r.closeAll)
			tc.fn(t, t.Context(), r)
		})
	}
}

// replicas tracks what a test opened, so the test may close (kill) one
// and the rest are closed once.
type replicas struct {
	open   Replicas
	mu     sync.Mutex
	all    []store.Store
	closed map[store.Store]bool
}

func (r *replicas) add(t *testing.T) store.Store {
	t.Helper()
	s := r.open()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, s)
	return s
}

func (r *replicas) close(t *testing.T, s store.Store) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed[s] = true
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func (r *replicas) closeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.all {
		if !r.closed[s] {
			s.Close()
		}
	}
}

func testReplicaSessions(t *testing.T, ctx context.Context, r *replicas) {
	a, b := r.add(t), r.add(t)
	sa, sb := need[store.SessionStore](t, a), need[store.SessionStore](t, b)
	mustCompany(t, ctx, a, "c1", "ACME")
	if err := sa.CreateSession(ctx, store.Session{IDHash: sessionID(1), CompanyID: "c1", UserID: "u1", CSRF: "x", Created: t0, LastUsed: t0}); err != nil {
		t.Fatal(err)
	}
	if got, err := sb.TouchSession(ctx, sessionID(1), t0.Add(time.Minute), time.Hour); err != nil || got.UserID != "u1" {
		t.Fatalf("session made on one replica, touched on another: %+v, %v", got, err)
	}
	if err := sb.DeleteSession(ctx, sessionID(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := sa.TouchSession(ctx, sessionID(1), t0.Add(time.Minute), time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session deleted on another replica: %v, want ErrNotFound", err)
	}
}

func testReplicaLimits(t *testing.T, ctx context.Context, r *replicas) {
	a, b, c := r.add(t), r.add(t), r.add(t)
	la, lb := need[store.LimitStore](t, a), need[store.LimitStore](t, b)
	for i := range 2 { // burst 2: one from each replica, then none anywhere
		if ok, err := []store.LimitStore{la, lb}[i].Limit(ctx, "k", time.Hour, 2, true, t0); err != nil || !ok {
			t.Fatalf("spend %d: %v, %v", i, ok, err)
		}
	}
	if ok, err := la.Limit(ctx, "k", time.Hour, 2, false, t0); err != nil || ok {
		t.Fatalf("bucket emptied on two replicas still has a token: %v, %v", ok, err)
	}
	lc := need[store.LimitStore](t, c)
	testLimitRace(t, ctx, []store.LimitStore{la, lb, lc}, "race", t0)

	ra, rb, rc := need[store.RunStore](t, a), need[store.RunStore](t, b), need[store.RunStore](t, c)
	runs := []store.RunStore{ra, rb, rc}
	testClaimRace(t, ctx, runs, "sweep", t0)
	if ok, err := rb.ClaimRun(ctx, "sweep", time.Hour, t0.Add(time.Minute)); err != nil || ok {
		t.Fatalf("second replica claims a run inside the interval: %v, %v", ok, err)
	}
	testClaimRace(t, ctx, runs, "sweep", t0.Add(time.Hour))
}

func testReplicaDocuments(t *testing.T, ctx context.Context, r *replicas) {
	a, b := r.add(t), r.add(t)
	da, db := need[store.DocumentStore](t, a), need[store.DocumentStore](t, b)
	const n = 2<<20 + 7
	key, _, err := da.WriteDocument(ctx, "d1", docBytes(3, n))
	if err != nil {
		t.Fatal(err)
	}
	checkDocument(t, ctx, db, "d1", key, 3, n)
	if ids, err := db.DocumentIDs(ctx, time.Now().Add(time.Minute)); err != nil || !slices.Equal(ids, []string{"d1"}) {
		t.Fatalf("DocumentIDs on the other replica = %v, %v", ids, err)
	}
	if err := db.RemoveDocument(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	if _, err := da.OpenDocument(ctx, "d1", key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("document removed on another replica: %v, want ErrNotFound", err)
	}
}

func testReplicaMessages(t *testing.T, ctx context.Context, r *replicas) {
	a, b, c := r.add(t), r.add(t), r.add(t)
	ca, cb, cc := need[store.ClusterStore](t, a), need[store.ClusterStore](t, b), need[store.ClusterStore](t, c)
	ids := []string{ca.ReplicaID(), cb.ReplicaID(), cc.ReplicaID()}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		t.Fatalf("replica ids are not distinct: %v", ids)
	}
	ia, ib, ic := listen(t, ctx, ca), listen(t, ctx, cb), listen(t, ctx, cc)

	// Direct messages reach only their replica, in order.
	want := payloads("a-to-b")
	for _, p := range want {
		if err := ca.Send(ctx, cb.ReplicaID(), p); err != nil {
			t.Fatalf("Send %d bytes: %v", len(p), err)
		}
	}
	ib.expect(t, ca.ReplicaID(), want...)

	// A broadcast reaches everyone, the sender included; the markers show
	// that a and c got nothing before it.
	if err := cc.Send(ctx, "", []byte("all")); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*inbox{ia, ib, ic} {
		in.expect(t, cc.ReplicaID(), []byte("all"))
	}
	big := payloads("big")[6]
	if err := cb.Send(ctx, "", big); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*inbox{ia, ib, ic} {
		in.expect(t, cb.ReplicaID(), big)
	}

	// A replica that is gone is not an error to send to.
	r.close(t, c)
	if err := ca.Send(ctx, ids[2], []byte("anyone?")); err != nil {
		t.Fatalf("Send to a closed replica: %v", err)
	}
	if err := ca.Send(ctx, "", []byte("after")); err != nil {
		t.Fatalf("broadcast after a replica closed: %v", err)
	}
	ia.expect(t, ca.ReplicaID(), []byte("after"))
	ib.expect(t, ca.ReplicaID(), []byte("after"))
}

func testReplicaTunnels(t *testing.T, ctx context.Context, r *replicas) {
	a, b := r.add(t), r.add(t)
	ca, cb := need[store.ClusterStore](t, a), need[store.ClusterStore](t, b)
	mustCompany(t, ctx, a, "c1", "ACME")
	for _, id := range []string{"a1", "a2", "a3"} {
		mustAgent(t, ctx, a, "c1", id)
	}
	put := func(cs store.ClusterStore, agent string) {
		t.Helper()
		if err := cs.PutTunnel(ctx, store.Tunnel{AgentID: agent, CompanyID: "c1", Replica: cs.ReplicaID(), Since: t0}); err != nil {
			t.Fatalf("PutTunnel(%s): %v", agent, err)
		}
	}
	where := func(cs store.ClusterStore) map[string]string {
		t.Helper()
		m := map[string]string{}
		for _, tn := range tunnels(t, ctx, cs, "c1") {
			m[tn.AgentID] = tn.Replica
		}
		return m
	}
	put(ca, "a1")
	put(ca, "a2")
	put(cb, "a3")
	// The agent a2 reconnects to b: its tunnel moves, and a's late
	// DeleteTunnel (its old connection closing) does not remove it.
	put(cb, "a2")
	if err := ca.DeleteTunnel(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a1": ca.ReplicaID(), "a2": cb.ReplicaID(), "a3": cb.ReplicaID()}
	for _, cs := range []store.ClusterStore{ca, cb} {
		if got := where(cs); !sameMap(got, want) {
			t.Fatalf("replica %s sees tunnels %v, want %v", cs.ReplicaID(), got, want)
		}
	}

	// Replica b dies: its tunnels drop out of a's list on their own.
	r.close(t, b)
	want = map[string]string{"a1": ca.ReplicaID()}
	deadline := time.Now().Add(waitFor)
	for got := where(ca); !sameMap(got, want); got = where(ca) {
		if time.Now().After(deadline) {
			t.Fatalf("after replica b closed, a sees tunnels %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A replica opened later sees the same.
	if got := where(need[store.ClusterStore](t, r.add(t))); !sameMap(got, want) {
		t.Fatalf("a new replica sees tunnels %v, want %v", got, want)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
