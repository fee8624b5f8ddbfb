package relay

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/tunnel"
)

const (
	// pushTimeout bounds one configuration push to an agent.
	pushTimeout = 15 * time.Second
	// lastSeenEvery throttles writing an agent's last-seen time while its
	// tunnel is busy.
	lastSeenEvery = time.Minute
	// machineHeader carries the machine hash on the tunnel handshake.
	machineHeader = "X-Edgeprint-Machine"
)

// agentConn is one connected agent.
type agentConn struct {
	agent store.Agent
	sess  *tunnel.Session
	// push holds at most one pending configuration push: changes that come
	// while a push runs fold into the next one.
	push chan struct{}
	// domains are the directory domains the agent serves (directory.go).
	domains []string

	mu       sync.Mutex
	lastSeen time.Time
}

// registry maps agent ids to their open tunnel. A new tunnel of an agent
// replaces its older one.
type registry struct {
	mu       sync.Mutex
	closed   bool
	byAgent  map[string]*agentConn
	handlers sync.WaitGroup // tunnel handlers that added a conn
}

func newRegistry() *registry {
	return &registry{byAgent: map[string]*agentConn{}}
}

// add registers c and returns the conn it replaces, if any. It returns
// false once the registry is closed; the caller then closes its session.
// A true return must be matched by done when the handler returns.
func (g *registry) add(c *agentConn) (old *agentConn, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, false
	}
	old = g.byAgent[c.agent.ID]
	g.byAgent[c.agent.ID] = c
	g.handlers.Add(1)
	return old, true
}

// remove unregisters c unless a newer conn of the agent replaced it, and
// reports whether it did.
func (g *registry) remove(c *agentConn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byAgent[c.agent.ID] == c {
		delete(g.byAgent, c.agent.ID)
		return true
	}
	return false
}

func (g *registry) done() { g.handlers.Done() }

// get returns agentID's tunnel on this replica, or nil.
func (g *registry) get(agentID string) *agentConn {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byAgent[agentID]
}

// company returns the agents of companyID connected to this replica.
func (g *registry) company(companyID string) []*agentConn {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*agentConn
	for _, c := range g.byAgent {
		if c.agent.CompanyID == companyID {
			out = append(out, c)
		}
	}
	return out
}

// closeAll refuses new tunnels, closes the open ones and waits for their
// handlers to finish.
func (g *registry) closeAll() {
	g.mu.Lock()
	g.closed = true
	conns := make([]*agentConn, 0, len(g.byAgent))
	for _, c := range g.byAgent {
		conns = append(conns, c)
	}
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { _ = c.sess.Close() })
	}
	wg.Wait()
	g.handlers.Wait()
}

// handleTunnel is GET /api/v1/agents/tunnel: it authenticates the agent,
// upgrades to the tunnel and serves the agent until the tunnel ends.
func (s *Server) handleTunnel(w http.ResponseWriter, r *http.Request) {
	a, err := s.authenticateAgent(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	log := s.log.With("agent", a.ID, "company", a.CompanyID)
	a = s.recordAgentVersion(r, a)
	sess, err := tunnel.Accept(w, r)
	if err != nil {
		log.Warn("tunnel upgrade failed", "err", err)
		return
	}
	c := &agentConn{agent: a, sess: sess, push: make(chan struct{}, 1), domains: parseDomains(r.Header.Get(domainsHeader))}
	old, ok := s.agents.add(c)
	if !ok {
		_ = sess.Close()
		return
	}
	defer s.agents.done()
	if old != nil {
		log.Info("agent reconnected, closing its older tunnel")
		// Not in this goroutine: Close waits for the old session's
		// handlers, and this agent's requests are waiting to be served.
		s.background.Go(func() { _ = old.sess.Close() })
	}
	s.touchAgent(c, true)
	s.putTunnel(c)
	s.metrics.agentsConnected.Inc()
	s.metrics.tunnel.SessionUp()
	log.Info("agent connected", "remote", sess.RemoteAddr(), "ldap_domains", c.domains)

	ctx, cancel := context.WithCancel(context.Background())
	var pusher sync.WaitGroup
	pusher.Go(func() { s.pushLoop(ctx, c) })

	err = sess.Serve(s.agentRoutes(c))

	cancel()
	pusher.Wait()
	if s.agents.remove(c) {
		s.deleteTunnel(c)
	}
	s.metrics.tunnel.SessionDown()
	s.metrics.agentsConnected.Dec()
	s.touchAgent(c, true)
	log.Info("agent disconnected", "reason", errText(err))
}

func errText(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// authenticateAgent checks "Authorization: Bearer AGENT_ID.SECRET" and the
// machine hash. Every failure is the same 401; the comparisons run in
// constant time and an unknown agent is compared against a dummy, so the
// timing does not tell which part was wrong.
func (s *Server) authenticateAgent(r *http.Request) (store.Agent, error) {
	cred, _ := bearer(r)
	id, secret, _ := strings.Cut(cred, ".")
	machine := strings.ToLower(strings.TrimSpace(r.Header.Get(machineHeader)))

	a, err := s.store.Agent(r.Context(), id)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Agent{}, err
	}
	if !known {
		a = store.Agent{SecretHash: make([]byte, 32), MachineHash: strings.Repeat("0", 64)}
	}
	secretOK := subtle.ConstantTimeCompare(hashSecret(secret), a.SecretHash) == 1
	machineOK := subtle.ConstantTimeCompare([]byte(machine), []byte(a.MachineHash)) == 1
	if !known || secret == "" || !secretOK || !machineOK {
		s.log.Info("tunnel refused", "agent", id, "remote", clientIP(r), "machine_mismatch", known && secretOK && !machineOK)
		return store.Agent{}, errUnauthorized
	}
	return a, nil
}

// touchAgent records that the agent was seen, at most once per
// lastSeenEvery unless force.
func (s *Server) touchAgent(c *agentConn, force bool) {
	now := time.Now().UTC()
	c.mu.Lock()
	due := force || now.Sub(c.lastSeen) >= lastSeenEvery
	if due {
		c.lastSeen = now
	}
	c.mu.Unlock()
	if !due {
		return
	}
	if err := s.store.TouchAgent(context.Background(), c.agent.ID, now); err != nil {
		s.log.Warn("record agent last seen", "agent", c.agent.ID, "err", err)
	}
}

// putTunnel tells the other replicas that c's agent is here.
func (s *Server) putTunnel(c *agentConn) {
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	defer cancel()
	t := store.Tunnel{AgentID: c.agent.ID, CompanyID: c.agent.CompanyID, Replica: s.store.ReplicaID(),
		Domains: c.domains, Since: time.Now().UTC()}
	if err := s.store.PutTunnel(ctx, t); err != nil {
		s.log.Error("record agent tunnel", "agent", c.agent.ID, "err", err)
	}
}

// deleteTunnel tells the other replicas that c's agent left.
func (s *Server) deleteTunnel(c *agentConn) {
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	defer cancel()
	if err := s.store.DeleteTunnel(ctx, c.agent.ID); err != nil {
		s.log.Error("forget agent tunnel", "agent", c.agent.ID, "err", err)
	}
}

// configChanged queues a configuration push to every connected agent of
// companyID, on every replica. It does not wait: a push is best effort,
// and an agent that misses one fetches the configuration when it
// reconnects.
func (s *Server) configChanged(companyID string) {
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	defer cancel()
	if err := s.hub.broadcast(ctx, hubMessage{Kind: kindConfig, Company: companyID}); err != nil {
		s.log.Warn("config change not announced to the other replicas", "company", companyID, "err", err)
		s.pushLocal(companyID)
	}
}

// pushLocal queues a configuration push to companyID's agents on this
// replica.
func (s *Server) pushLocal(companyID string) {
	for _, c := range s.agents.company(companyID) {
		select {
		case c.push <- struct{}{}:
		default: // a push is already pending; it will read the new state
		}
	}
}

// pushLoop sends c's agent the configuration each time configChanged asks,
// until ctx is done. One loop per tunnel keeps pushes to an agent in order.
func (s *Server) pushLoop(ctx context.Context, c *agentConn) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.push:
		}
		if err := s.pushConfig(ctx, c); err != nil {
			s.metrics.configPushes.WithLabelValues("error").Inc()
			if ctx.Err() == nil {
				s.log.Warn("config push failed", "agent", c.agent.ID, "err", err)
			}
			continue
		}
		s.metrics.configPushes.WithLabelValues("ok").Inc()
	}
}

func (s *Server) pushConfig(ctx context.Context, c *agentConn) error {
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	cfg, err := s.agentConfig(ctx, c.agent.CompanyID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://peer/relay/v1/config", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.sess.Client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("agent answered %s", resp.Status)
	}
	return nil
}
