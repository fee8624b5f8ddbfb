package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/edgeprint/edgeprint/relay/store"
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
