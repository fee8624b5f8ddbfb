package relay

import (
	"bytes"
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// The hub is how any replica reaches any agent. An agent's tunnel lands on
// one replica; the store's ClusterStore says which (Tunnels) and carries
// messages between replicas (Send, Listen). A call to an agent on this
// replica goes straight down its tunnel; otherwise the hub sends the
// agent's replica a sealed "call" message, that replica makes the HTTP
// request over the tunnel and sends the answer back, and the caller waits
// for it on an in-memory waiter keyed by the call id, as long as its
// context allows. Nothing polls.
const (
	// maxCallBody bounds a request or answer body carried between
	// replicas; sealed and encoded, a message stays under store.MaxMessage.
	maxCallBody = 256 << 10
	// maxRemoteCall bounds how long a replica works on a call another
	// replica asked for, whatever deadline it came with.
	maxRemoteCall = portalReleaseTimeout
	// maxMessageAge is how old (or how far ahead of our clock) a message
	// may be; younger ones are remembered by id, so a message copied from
	// the database and sent again (a release, an unlock) is not acted on
	// twice.
	maxMessageAge = 5 * time.Minute
)

// Message kinds between replicas.
const (
	kindCall   = "call"   // make this HTTP request to an agent of yours
	kindAnswer = "answer" // the answer to a call
	kindConfig = "config" // push the configuration to a company's agents
	kindUpdate = "update" // tell a company's agents (one agent) to check for a release
)

// errAgentOffline is a call to an agent no replica has a tunnel of.
var errAgentOffline = errors.New("agent is not connected")

// agentRequest is an HTTP request to an agent, made over its tunnel.
type agentRequest struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   []byte `json:"body,omitempty"` // JSON, when set
}

// agentAnswer is the agent's answer, its body cut at maxCallBody.
type agentAnswer struct {
	Status int    `json:"status"`
	Body   []byte `json:"body,omitempty"`
}

// hubMessage is the sealed content of a message between replicas.
type hubMessage struct {
	Kind     string        `json:"kind"`
	Sent     time.Time     `json:"sent"`
	Company  string        `json:"company,omitempty"`
	Agent    string        `json:"agent,omitempty"`
	Timeout  time.Duration `json:"timeout,omitempty"` // what the caller will wait
	Request  *agentRequest `json:"request,omitempty"`
	Response *agentAnswer  `json:"response,omitempty"`
	Error    string        `json:"error,omitempty"`
}

type callResult struct {
	resp agentAnswer
	err  error
}

type hub struct {
	cluster store.ClusterStore
	agents  *registry
	seal    cipher.AEAD
	log     *slog.Logger
	metrics *metrics
	// onConfig and onUpdate act on this replica's own agents.
	onConfig func(companyID string)
	onUpdate func(companyID, agentID string)

	mu      sync.Mutex
	closed  bool
	waiters map[string]chan callResult
	seen    map[string]time.Time // kind/id of messages acted on → when to forget
	pruned  time.Time            // when seen was last pruned
	work    sync.WaitGroup       // calls served for other replicas
	cancel  context.CancelFunc
}

func newHub(cluster store.ClusterStore, agents *registry, seal cipher.AEAD, log *slog.Logger, m *metrics) *hub {
	return &hub{cluster: cluster, agents: agents, seal: seal, log: log, metrics: m,
		waiters: map[string]chan callResult{}, seen: map[string]time.Time{}}
}

// start listens for other replicas' messages until close.
func (h *hub) start() error {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	if err := h.cluster.Listen(ctx, h.receive); err != nil {
		cancel()
		return fmt.Errorf("relay: listen for replicas: %w", err)
	}
	return nil
}

// close stops taking messages and waits for the calls being served.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	if h.cancel != nil {
		h.cancel()
	}
	h.work.Wait()
}

// tunnels lists the connected agents of companyID, on every replica.
func (h *hub) tunnels(ctx context.Context, companyID string) ([]store.Tunnel, error) {
	return h.cluster.Tunnels(ctx, companyID)
}

// connected is the set of companyID's connected agents; on a store error
// it is empty (the console shows them offline) and the error is logged.
func (h *hub) connected(ctx context.Context, companyID string) map[string]bool {
	ts, err := h.tunnels(ctx, companyID)
	if err != nil && ctx.Err() == nil {
		h.log.Error("list connected agents", "company", companyID, "err", err)
	}
	out := make(map[string]bool, len(ts))
	for _, t := range ts {
		out[t.AgentID] = true
	}
	return out
}

// call makes req to agent agentID of companyID, wherever its tunnel is.
func (h *hub) call(ctx context.Context, companyID, agentID string, req agentRequest) (agentAnswer, error) {
	if c := h.agents.get(agentID); c != nil && c.agent.CompanyID == companyID {
		return callLocal(ctx, c, req)
	}
	ts, err := h.tunnels(ctx, companyID)
	if err != nil {
		return agentAnswer{}, err
	}
	replica := ""
	for _, t := range ts {
		if t.AgentID == agentID {
			replica = t.Replica
		}
	}
	if replica == "" || replica == h.cluster.ReplicaID() {
		return agentAnswer{}, errAgentOffline // gone from here since
	}
	if len(req.Body) > maxCallBody {
		return agentAnswer{}, fmt.Errorf("request body over %d bytes", maxCallBody)
	}
	id := newID()
	ch := make(chan callResult, 1)
	h.mu.Lock()
	h.waiters[id] = ch
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.waiters, id)
		h.mu.Unlock()
	}()
	m := hubMessage{Kind: kindCall, Company: companyID, Agent: agentID, Request: &req, Timeout: maxRemoteCall}
	if dl, ok := ctx.Deadline(); ok {
		m.Timeout = min(time.Until(dl), maxRemoteCall)
	}
	if err := h.send(ctx, replica, id, m); err != nil {
		h.metrics.replicaCalls.WithLabelValues("error").Inc()
		return agentAnswer{}, err
	}
	select {
	case r := <-ch:
		result := "ok"
		if r.err != nil {
			result = "error"
		}
		h.metrics.replicaCalls.WithLabelValues(result).Inc()
		return r.resp, r.err
	case <-ctx.Done():
		h.metrics.replicaCalls.WithLabelValues("timeout").Inc()
		return agentAnswer{}, fmt.Errorf("agent's replica did not answer: %w", ctx.Err())
	}
}

// broadcast asks every replica (this one too) to act on its own agents.
func (h *hub) broadcast(ctx context.Context, m hubMessage) error {
	return h.send(ctx, "", newID(), m)
}

func (h *hub) send(ctx context.Context, to, id string, m hubMessage) error {
	m.Sent = time.Now().UTC()
	payload, err := sealMessage(h.seal, id, m)
	if err != nil {
		return err
	}
	if len(payload) > store.MaxMessage {
		return fmt.Errorf("relay: replica message of %d bytes is over %d", len(payload), store.MaxMessage)
	}
	return h.cluster.Send(ctx, to, payload)
}

// receive handles one message from a replica. It must not block: the
// store delivers the next message only once it returns.
func (h *hub) receive(msg store.Message) {
	id, m, err := openMessage(h.seal, msg.Payload)
	if err != nil {
		// Another relay sharing the database with a different master key.
		h.metrics.replicaDropped.Inc()
		h.log.Warn("replica message dropped", "from", msg.From, "err", err)
		return
	}
	if !h.fresh(m.Kind+"/"+id, m.Sent, time.Now()) {
		h.metrics.replicaDropped.Inc()
		h.log.Warn("replica message replayed or stale, dropped", "from", msg.From, "kind", m.Kind, "sent", m.Sent)
		return
	}
	switch m.Kind {
	case kindAnswer:
		h.mu.Lock()
		ch := h.waiters[id]
		h.mu.Unlock()
		if ch == nil {
			return // the caller gave up
		}
		r := callResult{}
		if m.Response != nil {
			r.resp = *m.Response
		}
		if m.Error != "" {
			r.err = errors.New(m.Error)
		}
		select {
		case ch <- r:
		default:
		}
	case kindCall:
		h.goWork(func() { h.serveCall(msg.From, id, m) })
	case kindConfig:
		h.onConfig(m.Company)
	case kindUpdate:
		h.goWork(func() { h.onUpdate(m.Company, m.Agent) })
	default:
		h.log.Warn("replica message of unknown kind dropped", "from", msg.From, "kind", m.Kind)
	}
}

// fresh reports whether the message key (kind and id; an answer shares
// its call's id) sent at sent is new: within maxMessageAge of now and not
// seen before. It remembers key.
func (h *hub) fresh(key string, sent, now time.Time) bool {
	if sent.Before(now.Add(-maxMessageAge)) || sent.After(now.Add(maxMessageAge)) {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.pruned) > maxMessageAge {
		for k, forget := range h.seen {
			if now.After(forget) {
				delete(h.seen, k)
			}
		}
		h.pruned = now
	}
	if _, ok := h.seen[key]; ok {
		return false
	}
	h.seen[key] = sent.Add(2 * maxMessageAge)
	return true
}

// goWork runs fn unless the hub is closing; close waits for it.
func (h *hub) goWork(fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.work.Go(fn)
}

// serveCall makes a call another replica asked for and sends the answer.
func (h *hub) serveCall(from, id string, m hubMessage) {
	timeout := min(max(m.Timeout, 0), maxRemoteCall)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	answer := hubMessage{Kind: kindAnswer}
	c := h.agents.get(m.Agent)
	switch {
	case m.Request == nil:
		answer.Error = "call without a request"
	case c == nil || c.agent.CompanyID != m.Company:
		answer.Error = errAgentOffline.Error()
	default:
		resp, err := callLocal(ctx, c, *m.Request)
		if err != nil {
			answer.Error = err.Error()
		} else {
			answer.Response = &resp
		}
	}
	// The answer goes out even if the call ran out of time: the caller may
	// still be waiting a little longer than we did.
	sctx, scancel := context.WithTimeout(context.Background(), pushTimeout)
	defer scancel()
	if err := h.send(sctx, from, id, answer); err != nil {
		h.log.Warn("answer to a replica not sent", "to", from, "agent", m.Agent, "err", err)
	}
}

// callLocal makes req over c's tunnel.
func callLocal(ctx context.Context, c *agentConn, req agentRequest) (agentAnswer, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	r, err := http.NewRequestWithContext(ctx, req.Method, "http://peer"+req.Path, body)
	if err != nil {
		return agentAnswer{}, err
	}
	if req.Body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.sess.Client().Do(r)
	if err != nil {
		return agentAnswer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCallBody))
	if err != nil {
		return agentAnswer{}, err
	}
	return agentAnswer{Status: resp.StatusCode, Body: data}, nil
}
