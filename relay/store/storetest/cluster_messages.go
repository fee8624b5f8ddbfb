package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// inbox collects what a replica's Listen delivers.
type inbox struct {
	cs store.ClusterStore
	ch chan store.Message
}

func listen(t *testing.T, ctx context.Context, cs store.ClusterStore) *inbox {
	t.Helper()
	in := &inbox{cs: cs, ch: make(chan store.Message, 1000)}
	if err := cs.Listen(ctx, func(m store.Message) { in.ch <- m }); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return in
}

// next returns the next message, failing the test if none comes.
func (in *inbox) next(t *testing.T) store.Message {
	t.Helper()
	select {
	case m := <-in.ch:
		return m
	case <-time.After(waitFor):
		t.Fatalf("replica %s got no message", in.cs.ReplicaID())
		return store.Message{}
	}
}

// expect checks that the next messages are exactly want, from from, in order.
func (in *inbox) expect(t *testing.T, from string, want ...[]byte) {
	t.Helper()
	for i, w := range want {
		m := in.next(t)
		if m.From != from || !bytes.Equal(m.Payload, w) {
			t.Fatalf("replica %s message %d: from %q, %d bytes %.40q; want from %q, %d bytes %.40q",
				in.cs.ReplicaID(), i, m.From, len(m.Payload), m.Payload, from, len(w), w)
		}
	}
}

// payloads is a mix of sizes across the ways a backend may carry a
// message (inline small ones, out of line big ones), to check order.
func payloads(tag string) [][]byte {
	var ps [][]byte
	for i, n := range []int{1, 100, 7000, 8000, 20000, 0, store.MaxMessage, 50} {
		p := bytes.Repeat([]byte{'a' + byte(i)}, n)
		copy(p, fmt.Sprintf("%s%d", tag, i))
		ps = append(ps, p)
	}
	for i := range 30 {
		ps = append(ps, fmt.Appendf(nil, "%s-burst-%d", tag, i))
	}
	return ps
}

// testMessages: one replica talks to itself, directly and by broadcast.
func testMessages(t *testing.T, ctx context.Context, s store.Store) {
	cs := need[store.ClusterStore](t, s)
	id := cs.ReplicaID()
	if id == "" || cs.ReplicaID() != id {
		t.Fatalf("ReplicaID %q is empty or changes", id)
	}
	in := listen(t, ctx, cs)
	want := payloads("self")
	for i, p := range want {
		to := id
		if i%2 == 1 {
			to = "" // broadcast reaches this replica too
		}
		if err := cs.Send(ctx, to, p); err != nil {
			t.Fatalf("Send %d bytes to %q: %v", len(p), to, err)
		}
	}
	in.expect(t, id, want...)
	binary := []byte{0, 0xff, '\'', '"', '\\', 0, 0xc3}
	if err := cs.Send(ctx, id, binary); err != nil {
		t.Fatal(err)
	}
	in.expect(t, id, binary)

	if err := cs.Send(ctx, id, make([]byte, store.MaxMessage+1)); err == nil {
		t.Fatal("Send of more than MaxMessage bytes succeeded")
	}
	if err := cs.Send(ctx, "gone-replica", []byte("hello?")); err != nil {
		t.Fatalf("Send to a replica that is gone: %v", err)
	}
	if err := cs.Send(ctx, id, []byte("last")); err != nil {
		t.Fatal(err)
	}
	in.expect(t, id, []byte("last")) // nothing else came before it
}

// testTunnels: tunnels are put, replaced, listed per company and deleted.
func testTunnels(t *testing.T, ctx context.Context, s store.Store) {
	cs := need[store.ClusterStore](t, s)
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	for _, a := range []struct{ company, id string }{{"c1", "a2"}, {"c1", "a1"}, {"c2", "a3"}} {
		mustAgent(t, ctx, s, a.company, a.id)
	}
	me := cs.ReplicaID()
	put := func(tn store.Tunnel) {
		t.Helper()
		if err := cs.PutTunnel(ctx, tn); err != nil {
			t.Fatalf("PutTunnel(%s): %v", tn.AgentID, err)
		}
	}
	put(store.Tunnel{AgentID: "a2", CompanyID: "c1", Replica: me, Since: t0})
	put(store.Tunnel{AgentID: "a1", CompanyID: "c1", Replica: me, Domains: []string{"old.example"}, Since: t0})
	put(store.Tunnel{AgentID: "a1", CompanyID: "c1", Replica: me, Domains: []string{"acme.example", "eu.acme.example"}, Since: t0.Add(time.Minute)})
	put(store.Tunnel{AgentID: "a3", CompanyID: "c2", Replica: me, Since: t0})

	got := tunnels(t, ctx, cs, "c1")
	want := []store.Tunnel{
		{AgentID: "a1", CompanyID: "c1", Replica: me, Domains: []string{"acme.example", "eu.acme.example"}, Since: t0.Add(time.Minute)},
		{AgentID: "a2", CompanyID: "c1", Replica: me, Since: t0},
	}
	if !sameTunnels(got, want) {
		t.Fatalf("Tunnels(c1) = %+v\nwant %+v", got, want)
	}
	if got := tunnels(t, ctx, cs, "c9"); got == nil || len(got) != 0 {
		t.Fatalf("Tunnels of a company without any = %#v, want an empty list", got)
	}
	if err := cs.DeleteTunnel(ctx, "a1"); err != nil {
		t.Fatalf("DeleteTunnel: %v", err)
	}
	if err := cs.DeleteTunnel(ctx, "a1"); err != nil {
		t.Fatalf("DeleteTunnel of a tunnel that is gone: %v", err)
	}
	if got := tunnels(t, ctx, cs, "c1"); len(got) != 1 || got[0].AgentID != "a2" {
		t.Fatalf("after DeleteTunnel(a1): %+v", got)
	}
	if got := tunnels(t, ctx, cs, "c2"); len(got) != 1 || got[0].AgentID != "a3" {
		t.Fatalf("Tunnels(c2) = %+v", got)
	}
}

func tunnels(t *testing.T, ctx context.Context, cs store.ClusterStore, company string) []store.Tunnel {
	t.Helper()
	got, err := cs.Tunnels(ctx, company)
	if err != nil {
		t.Fatalf("Tunnels(%s): %v", company, err)
	}
	return got
}

func sameTunnels(a, b []store.Tunnel) bool {
	return slices.EqualFunc(a, b, func(x, y store.Tunnel) bool {
		return x.AgentID == y.AgentID && x.CompanyID == y.CompanyID && x.Replica == y.Replica &&
			slices.Equal(x.Domains, y.Domains) && x.Since.Equal(y.Since)
	})
}
