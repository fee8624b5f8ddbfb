package bolt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/edgeprint/edgeprint/relay/store"
)

// listenQueue bounds messages waiting for the listener; Send waits for
// room rather than dropping one.
const listenQueue = 1024

// cluster is the one-replica ClusterStore: messages go from Send to
// Listen in process, and tunnels are a map.
type cluster struct {
	id string

	mu        sync.Mutex
	listening bool
	queue     chan store.Message
	closed    chan struct{}
	tunnels   map[string]store.Tunnel
	listener  sync.WaitGroup
	closeOnce sync.Once
}

func newCluster() *cluster {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &cluster{id: "embedded-" + hex.EncodeToString(b), queue: make(chan store.Message, listenQueue),
		closed: make(chan struct{}), tunnels: map[string]store.Tunnel{}}
}

func (c *cluster) close() {
	c.closeOnce.Do(func() { close(c.closed) })
	c.listener.Wait()
}

// ReplicaID names this process.
func (d *DB) ReplicaID() string { return d.cluster.id }

// Listen delivers every message Sent after it, one at a time.
func (d *DB) Listen(ctx context.Context, fn func(store.Message)) error {
	c := d.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listening {
		return errors.New("store: Listen called twice")
	}
	c.listening = true
	c.listener.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.closed:
				return
			case m := <-c.queue:
				fn(m)
			}
		}
	})
	return nil
}

// Send queues payload for this process's listener; there is no other
// replica to reach.
func (d *DB) Send(ctx context.Context, to string, payload []byte) error {
	c := d.cluster
	if len(payload) > store.MaxMessage {
		return fmt.Errorf("store: message of %d bytes is over %d", len(payload), store.MaxMessage)
	}
	c.mu.Lock()
	listening := c.listening
	c.mu.Unlock()
	if (to != "" && to != c.id) || !listening {
		return nil // nobody answers
	}
	m := store.Message{From: c.id, Payload: slices.Clone(payload)}
	select {
	case c.queue <- m:
		return nil
	case <-c.closed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PutTunnel records t's tunnel on this process.
func (d *DB) PutTunnel(ctx context.Context, t store.Tunnel) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := d.cluster
	t.Replica = c.id
	t.Domains = slices.Clone(t.Domains)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tunnels[t.AgentID] = t
	return nil
}

// DeleteTunnel forgets agentID's tunnel.
func (d *DB) DeleteTunnel(ctx context.Context, agentID string) error {
	c := d.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tunnels, agentID)
	return nil
}

// Tunnels lists companyID's tunnels by agent id.
func (d *DB) Tunnels(ctx context.Context, companyID string) ([]store.Tunnel, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := d.cluster
	c.mu.Lock()
	out := []store.Tunnel{}
	for _, t := range c.tunnels {
		if t.CompanyID == companyID {
			t.Domains = slices.Clone(t.Domains)
			out = append(out, t)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b store.Tunnel) int { return strings.Compare(a.AgentID, b.AgentID) })
	return out, nil
}
