package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/tunnel"
)

// TestReplicas runs three relay replicas as separate processes on one
// PostgreSQL database, behind a round-robin balancer, with agents spread
// over them. Releases issued at each replica reach the right agent; then
// one replica is killed (SIGKILL) while releases are in flight: no job is
// lost, its agents come back through the balancer to the others, and
// releases to them work again.
func TestReplicas(t *testing.T) {
	if usingPostgres() {
		t.Skip("runs in the embedded-store run; its replicas use PostgreSQL anyway")
	}
	const nAgents, nReplicas = 6, 3
	url := newTestDatabase(t)
	ctx := t.Context()

	// One data dir made the way an operator would, copied to each replica:
	// the same master key, certificate and database file.
	base := t.TempDir()
	if err := WriteDatabaseURL(base, url); err != nil {
		t.Fatal(err)
	}
	acme := initTenant(t, base, "ACME")
	first, err := New(Config{Listen: "127.0.0.1:0", DataDir: base, AdminListen: AdminOff}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	fingerprint := first.Fingerprint()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	var reps []*replicaProc
	for range nReplicas {
		dir := t.TempDir()
		for _, name := range []string{masterKeyFile, certName + ".crt", certName + ".key", databaseFile} {
			data, err := os.ReadFile(filepath.Join(base, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		reps = append(reps, startReplica(t, dir))
	}
	lb := startBalancer(t, []string{reps[0].addr, reps[1].addr, reps[2].addr})
	api := &apiClient{client: pinnedClient(fingerprint), token: acme.token}

	var user userResponse
	api.call(t, lb.url(), "POST", "/api/v1/users", userRequest{Email: "ann@acme.example", Name: "Ann"}, http.StatusCreated, &user)
	var printer printerResponse
	api.call(t, lb.url(), "POST", "/api/v1/printers", printerRequest{Name: "2nd floor", Address: "127.0.0.1", Port: 9100, Protocol: store.ProtocolRaw9100}, http.StatusCreated, &printer)

	// Agents connect one after the other, so the balancer's rotation
	// spreads them over the replicas.
	var agents []*replicaAgent
	for i := range nAgents {
		var ac activationCodeResponse
		api.call(t, lb.url(), "POST", "/api/v1/activation-codes", map[string]int{"ttl_hours": 1}, http.StatusCreated, &ac)
		name := fmt.Sprintf("SITE-%d", i)
		var reg registerResponse
		api.call(t, lb.url(), "POST", "/api/v1/agents/register", registerRequest{Company: acme.code, ActivationCode: ac.Code,
			Email: acme.adminEmail, Password: acme.adminPassword, MachineHash: machineHash(name), Name: name, Version: "0.1.0"},
			http.StatusCreated, &reg)
		a := newReplicaAgent(reg.AgentID, reg.Secret, machineHash(name), lb.url(), fingerprint)
		if i == 0 {
			a.domains = directoryDomain // the only agent that reaches the directory
		}
		a.start(t)
		a.waitUp(t, 30*time.Second)
		agents = append(agents, a)
	}

	// The test's own view of the cluster: a store on the same database.
	db, err := openStoreURL(t.TempDir(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	placement := waitPlacement(t, db, acme.id, agents, nil)
	byReplica := map[string][]string{}
	for agent, rep := range placement {
		byReplica[rep] = append(byReplica[rep], agent)
	}
	for _, p := range reps {
		if len(byReplica[p.id]) == 0 {
			t.Fatalf("no agent landed on replica %s: %v", p.id, placement)
		}
	}
	t.Logf("agents by replica: %v", byReplica)

	jobsOf := map[string][]string{} // agent id → its jobs
	upload := func(round, n int) []string {
		var ids []string
		for _, a := range agents {
			for k := range n {
				id := fmt.Sprintf("r%d-%s-%d", round, a.id[:8], k)
				a.upload(t, id, user.ID, fmt.Sprintf("doc %s", id))
				jobsOf[a.id] = append(jobsOf[a.id], id)
				ids = append(ids, id)
			}
		}
		return ids
	}
	release := func(ctx context.Context, base, jobID string) (int, error) {
		return api.do(ctx, base, "POST", "/api/v1/jobs/"+jobID+"/release", map[string]string{"printer_id": printer.ID}, nil)
	}

	t.Run("releases at every replica reach the right agent", func(t *testing.T) {
		for k, id := range upload(1, 3) {
			at := reps[k%nReplicas]
			if st, err := release(ctx, at.url(), id); err != nil || st != http.StatusOK {
				t.Fatalf("release %s at replica %s: %d %v", id, at.id, st, err)
			}
		}
		for _, a := range agents {
			if got, want := a.printedSet(), jobsOf[a.id]; !sameSet(got, want) {
				t.Fatalf("agent %s printed %v, want exactly %v", a.id, got, want)
			}
		}
	})

	t.Run("a configuration change reaches the agents on every replica", func(t *testing.T) {
		before := map[string]int32{}
		for _, a := range agents {
			before[a.id] = a.pushes.Load()
		}
		api.call(t, reps[1].url(), "PATCH", "/api/v1/printers/"+printer.ID, map[string]string{"name": "2nd floor east"}, http.StatusOK, nil)
		deadline := time.Now().Add(30 * time.Second)
		for _, a := range agents {
			for a.pushes.Load() == before[a.id] {
				if time.Now().After(deadline) {
					t.Fatalf("agent %s (replica %s) got no configuration push", a.id, placement[a.id])
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	t.Run("a replica killed mid-flight loses no job", func(t *testing.T) {
		victim := reps[0]
		ids := upload(2, 4)
		for _, a := range agents {
			a.setDelay(50 * time.Millisecond) // keep releases in flight
		}
		var wg sync.WaitGroup
		var stop atomic.Bool // after the kill, no new releases: the ones in flight matter
		started := make(chan struct{}, len(ids))
		for s := range nReplicas { // one stream of releases per replica
			wg.Go(func() {
				for k := s; k < len(ids) && !stop.Load(); k += nReplicas {
					started <- struct{}{}
					// A call waiting on the dead replica ends with this.
					rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					st, err := release(rctx, reps[s].url(), ids[k])
					cancel()
					t.Logf("release %s at replica %d: %d %v", ids[k], s, st, err)
				}
			})
		}
		for range 2 * nReplicas {
			<-started
		}
		killed := time.Now()
		stop.Store(true)
		victim.kill(t)
		t.Logf("killed replica %s with agents %v", victim.id, byReplica[victim.id])
		wg.Wait()

		// Its agents come back through the balancer to the others.
		for _, id := range byReplica[victim.id] {
			a := agentByID(agents, id)
			a.waitUpSince(t, killed, 60*time.Second)
			t.Logf("agent %s reconnected %v after the kill", id, a.lastUp().Sub(killed).Round(time.Millisecond))
		}
		placement := waitPlacement(t, db, acme.id, agents, map[string]bool{victim.id: true})
		t.Logf("agents by replica after the kill: %v", placement)

		// Every job is printed, or held and releasable now.
		live := reps[1]
		var jobs []jobResponse
		api.call(t, live.url(), "GET", "/api/v1/jobs", nil, http.StatusOK, &jobs)
		state := map[string]store.JobState{}
		for _, j := range jobs {
			state[j.ID] = j.State
		}
		held := 0
		for k, id := range ids {
			switch state[id] {
			case store.JobPrinted:
			case store.JobHeld:
				held++
				at := reps[1+k%(nReplicas-1)]
				if st, err := release(ctx, at.url(), id); err != nil || st != http.StatusOK {
					t.Fatalf("release %s again at replica %s: %d %v", id, at.id, st, err)
				}
			default:
				t.Fatalf("job %s is %q after the kill, want printed or held", id, state[id])
			}
		}
		t.Logf("%d of %d jobs were still held after the kill and released afterwards", held, len(ids))
		for _, a := range agents {
			if got, want := a.printedSet(), jobsOf[a.id]; !sameSet(got, want) {
				t.Fatalf("agent %s printed %v, want exactly %v", a.id, got, want)
			}
		}
	})

	t.Run("a directory check reaches the agent on another replica", func(t *testing.T) {
		testDirectoryAcrossReplicas(t, api, reps[1].url(), agents, waitPlacement(t, db, acme.id, agents, map[string]bool{reps[0].id: true}))
	})
}

// directoryDomain and directoryPassword are what the first agent's
// simulated directory knows.
const (
	directoryDomain   = "acme.example"
	directoryPassword = "directory-password"
)

// testDirectoryAcrossReplicas: an LDAP check that arrives at one replica
// (an agent asking to authenticate a user) reaches the one agent that
// serves the domain, on another replica, and its answer comes back.
func testDirectoryAcrossReplicas(t *testing.T, api *apiClient, base string, agents []*replicaAgent, placement map[string]string) {
	api.call(t, base, "PATCH", "/api/v1/company", map[string]string{"auth_type": store.AuthLDAP, "default_domain": directoryDomain}, http.StatusOK, nil)
	directory := agents[0]
	var asker *replicaAgent
	for _, a := range agents {
		if placement[a.id] != placement[directory.id] {
			asker = a
		}
	}
	if asker == nil {
		t.Fatalf("every agent is on the directory agent's replica: %v", placement)
	}
	for _, tc := range []struct {
		password string
		want     int
	}{{directoryPassword, http.StatusOK}, {"wrong", http.StatusUnauthorized}} {
		before := directory.ldapChecks.Load()
		body, _ := json.Marshal(map[string]string{"username": "bob@" + directoryDomain, "password": tc.password})
		var out bytes.Buffer
		st := asker.request(t.Context(), asker.session(), "POST", "/agent/v1/auth", bytes.NewReader(body), &out, "Content-Type", "application/json")
		if st != tc.want || directory.ldapChecks.Load() != before+1 {
			t.Fatalf("auth through replica %s, directory agent on %s: %d %s (checks %d → %d), want %d",
				placement[asker.id], placement[directory.id], st, out.String(), before, directory.ldapChecks.Load(), tc.want)
		}
		if tc.want == http.StatusOK && !strings.Contains(out.String(), `"email":"bob@acme.example"`) {
			t.Fatalf("auth answer %s", out.String())
		}
	}
}

// waitPlacement waits until every agent has a tunnel on a replica not in
// dead, and returns agent id → replica.
func waitPlacement(t *testing.T, db store.Store, companyID string, agents []*replicaAgent, dead map[string]bool) map[string]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ts, err := db.Tunnels(t.Context(), companyID)
		if err != nil {
			t.Fatal(err)
		}
		placement := map[string]string{}
		for _, tn := range ts {
			if !dead[tn.Replica] {
				placement[tn.AgentID] = tn.Replica
			}
		}
		if len(placement) == len(agents) {
			return placement
		}
		if time.Now().After(deadline) {
			t.Fatalf("tunnels %v, want all %d agents on live replicas", ts, len(agents))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(slices.Compact(g), slices.Compact(w))
}

func agentByID(agents []*replicaAgent, id string) *replicaAgent {
	for _, a := range agents {
		if a.id == id {
			return a
		}
	}
	return nil
}

// apiClient calls the JSON API of any replica (or the balancer).
type apiClient struct {
	client *http.Client
	token  string
}

func (c *apiClient) do(ctx context.Context, base, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w", data, err)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s", strings.TrimSpace(string(data)))
	}
	return resp.StatusCode, nil
}

func (c *apiClient) call(t *testing.T, base, method, path string, body any, want int, out any) {
	t.Helper()
	if st, err := c.do(t.Context(), base, method, path, body, out); st != want {
		t.Fatalf("%s %s: %d %v, want %d", method, path, st, err, want)
	}
}

// replicaAgent is a simulated agent that keeps its tunnel up through the
// balancer: when it drops it redials (jittered backoff, capped at a
// second), as the real agent does. It prints what it is released (after
// downloading the document through the tunnel) and remembers it.
type replicaAgent struct {
	id, secret, machine, url, fingerprint string

	mu      sync.Mutex
	sess    *tunnel.Session
	up      chan struct{} // a new session is serving
	upAt    time.Time
	printed []string
	delay   time.Duration
	pushes  atomic.Int32 // configuration pushes received
	// domains is announced on the handshake; the agent then answers
	// directory checks (directoryPassword is right).
	domains    string
	ldapChecks atomic.Int32

	cancel context.CancelFunc
	done   chan struct{}
}

func newReplicaAgent(id, secret, machine, url, fingerprint string) *replicaAgent {
	return &replicaAgent{id: id, secret: secret, machine: machine, url: url, fingerprint: fingerprint,
		up: make(chan struct{}, 1), done: make(chan struct{})}
}

func (a *replicaAgent) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() {
		defer close(a.done)
		a.run(ctx)
	}()
	t.Cleanup(func() {
		a.cancel()
		a.mu.Lock()
		if a.sess != nil {
			a.sess.Close()
		}
		a.mu.Unlock()
		<-a.done
	})
}

func (a *replicaAgent) run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+a.id+"."+a.secret)
		h.Set(machineHeader, a.machine)
		if a.domains != "" {
			h.Set(domainsHeader, a.domains)
		}
		sess, err := tunnel.Dial(ctx, "wss"+strings.TrimPrefix(a.url, "https")+"/api/v1/agents/tunnel", h, certs.PinnedConfig(a.fingerprint))
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		served := make(chan struct{})
		go func() {
			_ = sess.Serve(a.mux(sess))
			close(served)
		}()
		// The relay answers only once it has registered the tunnel.
		if st := a.request(ctx, sess, "GET", "/agent/v1/config", nil, nil); st == http.StatusOK {
			a.mu.Lock()
			a.sess, a.upAt = sess, time.Now()
			a.mu.Unlock()
			select {
			case a.up <- struct{}{}:
			default:
			}
		}
		select {
		case <-sess.Done():
		case <-ctx.Done():
		}
		sess.Close()
		<-served
	}
}

func (a *replicaAgent) mux(sess *tunnel.Session) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /relay/v1/config", func(w http.ResponseWriter, r *http.Request) {
		a.pushes.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /relay/v1/ldap/authenticate", func(w http.ResponseWriter, r *http.Request) {
		a.ldapChecks.Add(1)
		var req struct{ Username, Password string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Password != directoryPassword {
			http.Error(w, `{"error":"invalid credentials"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"dn": "cn=bob,dc=acme,dc=example", "email": req.Username, "name": "Bob"})
	})
	mux.HandleFunc("POST /relay/v1/release", func(w http.ResponseWriter, r *http.Request) {
		var rel struct {
			JobID string `json:"job_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&rel); err != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		var doc bytes.Buffer
		if st := a.request(r.Context(), sess, "GET", "/agent/v1/jobs/"+rel.JobID+"/document", nil, &doc); st != http.StatusOK || doc.String() != "doc "+rel.JobID {
			http.Error(w, `{"error":"download failed"}`, http.StatusBadGateway)
			return
		}
		a.mu.Lock()
		delay := a.delay
		a.mu.Unlock()
		time.Sleep(delay) // the printer taking the job
		a.mu.Lock()
		a.printed = append(a.printed, rel.JobID)
		a.mu.Unlock()
		w.Write([]byte(`{"state":"printed"}`))
	})
	return mux
}

// request makes a request to the relay through sess; it returns the
// status, 0 when the tunnel failed.
func (a *replicaAgent) request(ctx context.Context, sess *tunnel.Session, method, path string, body io.Reader, out io.Writer, header ...string) int {
	req, err := http.NewRequestWithContext(ctx, method, "http://peer"+path, body)
	if err != nil {
		return 0
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := sess.Client().Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out == nil {
		out = io.Discard
	}
	if _, err := io.Copy(out, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return 0
	}
	return resp.StatusCode
}

func (a *replicaAgent) session() *tunnel.Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess
}

func (a *replicaAgent) upload(t *testing.T, jobID, userID, doc string) {
	t.Helper()
	st := a.request(t.Context(), a.session(), "PUT", "/agent/v1/jobs/"+jobID, strings.NewReader(doc), nil,
		"X-Edgeprint-User", userID, "X-Edgeprint-Job-Name", jobID, "Content-Type", "application/pdf",
		"X-Edgeprint-Created", "2025-03-01T12:00:00Z")
	if st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("agent %s upload %s: %d", a.id, jobID, st)
	}
}

func (a *replicaAgent) setDelay(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.delay = d
}

func (a *replicaAgent) printedSet() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.printed)
}

func (a *replicaAgent) lastUp() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.upAt
}

func (a *replicaAgent) waitUp(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case <-a.up:
	case <-time.After(limit):
		t.Fatalf("agent %s did not connect", a.id)
	}
}

// waitUpSince waits for a tunnel that came up after since.
func (a *replicaAgent) waitUpSince(t *testing.T, since time.Time, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for !a.lastUp().After(since) {
		select {
		case <-a.up:
		case <-deadline:
			t.Fatalf("agent %s did not reconnect", a.id)
		}
	}
}
