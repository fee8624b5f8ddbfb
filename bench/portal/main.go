// Command portal is the relay's portal load benchmark: many portal users at
// once list their jobs and release one, against a job store of many jobs,
// and the latency percentiles are reported. See README.md.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/edgeprint/edgeprint/bench/internal/simagent"
	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/relay"
	"github.com/edgeprint/edgeprint/relay/password"
	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/bolt"
)

type options struct {
	users, jobs, held, loginConcurrency int
	keep                                bool
}

func main() {
	var o options
	flag.IntVar(&o.users, "users", 1000, "concurrent portal users")
	flag.IntVar(&o.jobs, "jobs", 100000, "jobs in the store, held ones included")
	flag.IntVar(&o.held, "held", 1, "held jobs (with a document) per user; each user releases one")
	flag.IntVar(&o.loginConcurrency, "login-concurrency", 4, "sign-ins at once while setting up (argon2id)")
	flag.BoolVar(&o.keep, "keep", false, "keep the data dir")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(context.Background(), o, log); err != nil {
		fmt.Fprintln(os.Stderr, "portal bench:", err)
		os.Exit(1)
	}
}

const userPassword = "bench-password"

// heldDoc is every held job's document.
var heldDoc = []byte("%PDF-1.7 bench " + strings.Repeat("x", 4096))

func run(ctx context.Context, o options, log *slog.Logger) error {
	if o.users < 1 || o.held < 1 || o.jobs < o.users*o.held {
		return errors.New("need users ≥ 1, held ≥ 1 and jobs ≥ users×held")
	}
	dir, err := os.MkdirTemp("", "edgeprint-portal-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	init, err := relay.Init(ctx, dir, relay.InitOptions{CompanyCode: "BENCH", CompanyName: "Bench", AdminEmail: "admin@bench.example"})
	if err != nil {
		return err
	}
	t0 := time.Now()
	userIDs, err := seed(ctx, dir, init.CompanyID, o)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d users and %d history jobs in %v\n", o.users, o.jobs-o.users*o.held, time.Since(t0).Round(time.Millisecond))

	srv, err := relay.New(relay.Config{Listen: "127.0.0.1:0", DataDir: dir, AdminListen: "off"}, log)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx) }()
	defer func() {
		stop()
		<-served
	}()
	base := srv.URL()
	api := client(srv.Fingerprint(), false)

	ag, err := connectAgent(ctx, api, base, srv.Fingerprint(), init)
	if err != nil {
		return err
	}
	defer ag.Close()
	var printer struct{ ID string }
	if err := apiCall(ctx, api, base, init.APIToken, "POST", "/api/v1/printers", map[string]any{"name": "Bench MFP", "address": "192.0.2.10", "protocol": "raw9100"}, &printer); err != nil {
		return err
	}
	t0 = time.Now()
	heldJobs := make([][]string, o.users)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, uid := range userIDs {
		for range o.held {
			id := randomID()
			heldJobs[i] = append(heldJobs[i], id)
			g.Go(func() error { return ag.Upload(gctx, id, uid, heldDoc) })
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Printf("uploaded %d held jobs through the agent tunnel in %v\n", o.users*o.held, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	users := make([]*portalUser, o.users)
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(o.loginConcurrency)
	for i := range users {
		u := &portalUser{c: client(srv.Fingerprint(), true), base: base, email: fmt.Sprintf("user%04d@bench.example", i), jobs: heldJobs[i], printer: printer.ID}
		users[i] = u
		g.Go(func() error { return u.login(gctx) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Printf("signed in %d portal users in %v\n", o.users, time.Since(t0).Round(time.Millisecond))

	// The measured part: every user at once lists, releases, lists.
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	record := func(op string, d time.Duration) {
		mu.Lock()
		lat[op] = append(lat[op], d)
		mu.Unlock()
	}
	start := make(chan struct{})
	g, gctx = errgroup.WithContext(ctx)
	for _, u := range users {
		g.Go(func() error {
			<-start
			return u.session(gctx, record)
		})
	}
	t0 = time.Now()
	close(start)
	if err := g.Wait(); err != nil {
		return err
	}
	wall := time.Since(t0)
	fmt.Printf("\n%d concurrent portal users, %d stored jobs, %d released, wall %v\n", o.users, o.jobs, ag.n.Load(), wall.Round(time.Millisecond))
	fmt.Printf("%-8s %7s %9s %9s %9s %9s %9s\n", "op", "count", "p50", "p90", "p99", "max", "req/s")
	for _, op := range []string{"list", "release", "all"} {
		var ds []time.Duration
		if op == "all" {
			for _, v := range lat {
				ds = append(ds, v...)
			}
		} else {
			ds = lat[op]
		}
		slices.Sort(ds)
		fmt.Printf("%-8s %7d %9v %9v %9v %9v %9.0f\n", op, len(ds), pct(ds, 50), pct(ds, 90), pct(ds, 99), pct(ds, 100), float64(len(ds))/wall.Seconds())
	}
	return nil
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	return ds[min(max(i-1, 0), len(ds)-1)].Round(time.Millisecond)
}

// seed writes the users and the history jobs straight into the store (the
// relay is not running yet): a held job needs an encrypted document, which
// only the relay can make, so history jobs are printed ones whose
// documents retention already removed — as most stored jobs are.
func seed(ctx context.Context, dir, companyID string, o options) ([]string, error) {
	db, err := bolt.Open(filepath.Join(dir, "relay.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	hash, err := password.Hash(userPassword) // one hash for all: the bench measures the portal, not argon2id
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	ids := make([]string, o.users)
	for i := range ids {
		ids[i] = randomID()
		u := store.User{ID: ids[i], CompanyID: companyID, Email: fmt.Sprintf("user%04d@bench.example", i), Name: fmt.Sprintf("User %d", i),
			PasswordHash: hash, Created: now}
		if err := db.CreateUser(ctx, u); err != nil {
			return nil, err
		}
	}
	history := o.jobs - o.users*o.held
	for n := range history {
		at := now.Add(-time.Duration(n%(7*24*60)) * time.Minute)
		j := store.Job{ID: randomID(), CompanyID: companyID, UserID: ids[n%len(ids)], AgentID: "seed", Name: fmt.Sprintf("history-%d.pdf", n),
			Format: "application/pdf", Size: 100 << 10, State: store.JobPrinted, Created: at, Stored: at, Printed: at.Add(time.Minute)}
		if err := db.CreateJob(ctx, j); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func client(pin string, jar bool) *http.Client {
	c := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: certs.PinnedConfig(pin), MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       5 * time.Minute,
	}
	if jar {
		c.Jar, _ = cookiejar.New(nil)
	}
	return c
}

func apiCall(ctx context.Context, c *http.Client, base, token, method, path string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// benchAgent is the simulated agent and how many jobs it printed.
type benchAgent struct {
	*simagent.Agent
	n atomic.Int64
}

// connectAgent registers an agent with an activation code, as an admin
// does, and connects it.
func connectAgent(ctx context.Context, api *http.Client, base, pin string, init relay.InitResult) (*benchAgent, error) {
	var code struct{ Code string }
	if err := apiCall(ctx, api, base, init.APIToken, "POST", "/api/v1/activation-codes", nil, &code); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte("bench machine"))
	machine := hex.EncodeToString(sum[:])
	var reg struct {
		AgentID string `json:"agent_id"`
		Secret  string `json:"secret"`
	}
	if err := apiCall(ctx, api, base, "", "POST", "/api/v1/agents/register", map[string]string{"company": "BENCH", "activation_code": code.Code,
		"email": "admin@bench.example", "password": init.AdminPassword, "machine_hash": machine, "name": "bench-pc", "version": "bench"}, &reg); err != nil {
		return nil, err
	}
	a := &benchAgent{}
	ag, err := simagent.Dial(ctx, base, pin, reg.AgentID, reg.Secret, machine, func(string, int64) { a.n.Add(1) })
	if err != nil {
		return nil, err
	}
	a.Agent = ag
	return a, nil
}

type portalUser struct {
	c                    *http.Client
	base, email, printer string
	jobs                 []string
	csrf                 string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (u *portalUser) login(ctx context.Context) error {
	_, page, err := u.do(ctx, "GET", "/login", nil)
	if err != nil {
		return err
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return errors.New("no csrf on the login page")
	}
	st, _, err := u.do(ctx, "POST", "/login", url.Values{"csrf": {m[1]}, "company": {"BENCH"}, "email": {u.email}, "password": {userPassword}})
	if err != nil {
		return err
	}
	if st != http.StatusSeeOther {
		return fmt.Errorf("login %s: %d", u.email, st)
	}
	return nil
}

// session lists the user's jobs, releases the first held one, lists again.
func (u *portalUser) session(ctx context.Context, record func(string, time.Duration)) error {
	list := func() error {
		t := time.Now()
		st, page, err := u.do(ctx, "GET", "/portal", nil)
		if err != nil {
			return err
		}
		if st != http.StatusOK {
			return fmt.Errorf("portal %s: %d", u.email, st)
		}
		record("list", time.Since(t))
		if m := csrfField.FindStringSubmatch(page); m != nil {
			u.csrf = m[1]
		}
		return nil
	}
	if err := list(); err != nil {
		return err
	}
	t := time.Now()
	st, page, err := u.do(ctx, "POST", "/portal/jobs/"+u.jobs[0]+"/release", url.Values{"csrf": {u.csrf}, "printer_id": {u.printer}})
	if err != nil {
		return err
	}
	if st != http.StatusOK || !strings.Contains(page, "Sent to the printer") {
		return fmt.Errorf("release %s: %d", u.email, st)
	}
	record("release", time.Since(t))
	return list()
}

func (u *portalUser) do(ctx context.Context, method, path string, form url.Values) (int, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+path, body)
	if err != nil {
		return 0, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := u.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
