package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/edgeprint/edgeprint/agent"
	"github.com/edgeprint/edgeprint/cardreader"
	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/printersim"
	"github.com/edgeprint/edgeprint/relay"
)

// Seeded names. The passwords are random per run.
const (
	companyCode = "DEMO"
	adminEmail  = "admin@demo.example"
	userEmail   = "alice@demo.example"
	userCard    = "12345678"
	readerAddr  = "127.0.0.1"
)

// Options configure a demo.
type Options struct {
	// Dir keeps the demo's data and demo.json; a temporary directory when empty.
	Dir string
	// Ephemeral binds every listener to a port the system picks.
	Ephemeral bool
	Version   string
	Logger    *slog.Logger
	// Discovery, when set, is the agent's discovery section (tests point
	// it at simulated printers on loopback); nil turns discovery off.
	Discovery *agent.DiscoveryConfig
}

// Info is every endpoint and credential of a running demo; it is written to
// DIR/demo.json.
type Info struct {
	IPPURI           string  `json:"ipp_uri"`
	IPPSURI          string  `json:"ipps_uri"`
	RelayURL         string  `json:"relay_url"`
	RelayFingerprint string  `json:"relay_fingerprint"`
	ConsoleURL       string  `json:"console_url"`
	StatusURL        string  `json:"status_url"`
	APIToken         string  `json:"api_token"`
	Company          string  `json:"company"`
	Admin            Account `json:"admin"`
	User             User    `json:"user"`
	Reader           Reader  `json:"reader"`
	Printer          string  `json:"printer_addr"`
	PrinterOutputDir string  `json:"printer_output_dir"`
	SamplePDF        string  `json:"sample_pdf"`
	// ConvenienceAuthURL and SSOURL are the printer panel login services
	// (eipauth/README.md); PrinterID is the demo printer's relay id.
	ConvenienceAuthURL string `json:"convenience_auth_url"`
	SSOURL             string `json:"sso_url"`
	PrinterID          string `json:"printer_id"`
}

// Account is a login.
type Account struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// User is the seeded end user.
type User struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Card     string `json:"card"`
}

// Reader is the seeded card reader: its model, the address the relay maps
// to the printer, and where the reader connects to.
type Reader struct {
	Model     string `json:"model"`
	Address   string `json:"address"`
	ConnectTo string `json:"connect_to"`
}

// Demo is a running demo.
type Demo struct {
	Info Info

	opts     Options
	ctx      context.Context
	cancel   context.CancelFunc
	relayCfg relay.Config
	agent    *agent.Agent
	printer  *printersim.Printer

	mu          sync.Mutex
	relayInfo   relayInfo
	relayCancel context.CancelFunc
	relayDone   chan error
	wg          sync.WaitGroup
	errs        chan error
}

// Start seeds and starts everything. It returns once every listener is up
// and the agent is registered; Wait blocks until ctx ends.
func Start(ctx context.Context, o Options) (_ *Demo, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "edgeprint-demo-"); err != nil {
			return nil, err
		}
	}
	if o.Dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, err
	}
	if err := prepareDir(o.Dir); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &Demo{opts: o, ctx: ctx, cancel: cancel, errs: make(chan error, 8)}
	defer func() {
		if err != nil {
			d.stopAll()
		}
	}()
	ports := portPicker{ephemeral: o.Ephemeral}

	// The printer.
	d.printer, err = printersim.Listen(ports.pick(9101), filepath.Join(o.Dir, "printer-output"), o.Logger.With("component", "printer"))
	if err != nil {
		return nil, err
	}
	d.goRun(ctx, "printer", d.printer.Serve)

	// The relay, with a company, an admin and an API token.
	relayDir := filepath.Join(o.Dir, "relay")
	adminPassword := randomPassword()
	init, err := relay.Init(ctx, relayDir, relay.InitOptions{
		CompanyCode: companyCode, CompanyName: "Demo Company", AdminEmail: adminEmail, AdminPassword: adminPassword,
	})
	if err != nil {
		return nil, err
	}
	d.relayCfg = relay.Config{Listen: ports.pick(8443), DataDir: relayDir, AdminListen: ports.pick(9632)}
	if err := d.startRelay(ctx); err != nil {
		return nil, err
	}

	// Seed through the API, as an admin would.
	srv := d.currentRelayInfo()
	api := apiClient{base: srv.url, token: init.APIToken, http: pinnedClient(srv.fingerprint)}
	userPassword := randomPassword()
	if err := api.post(ctx, "/api/v1/users", map[string]any{
		"email": userEmail, "name": "Alice Example", "password": userPassword, "cards": []string{userCard},
	}, nil); err != nil {
		return nil, err
	}
	var printer struct{ ID string }
	host, port, _ := net.SplitHostPort(d.printer.Addr())
	if err := api.post(ctx, "/api/v1/printers", map[string]any{
		"name": "Demo Printer", "address": host, "port": atoi(port), "protocol": "raw9100",
	}, &printer); err != nil {
		return nil, err
	}
	if err := api.post(ctx, "/api/v1/readers", map[string]any{
		"model": cardreader.ElatecTCPConv, "address": readerAddr, "printer_id": printer.ID,
	}, nil); err != nil {
		return nil, err
	}
	var code struct{ Code string }
	if err := api.post(ctx, "/api/v1/activation-codes", map[string]any{}, &code); err != nil {
		return nil, err
	}

	// The agent, registered with the activation code.
	agentDir := filepath.Join(o.Dir, "agent")
	if _, err := agent.Register(ctx, agentDir, agent.Registration{
		RelayURL: srv.url, RelayFingerprint: srv.fingerprint, Company: companyCode,
		ActivationCode: code.Code, AdminEmail: adminEmail, AdminPassword: agent.Secret(adminPassword),
		Name: "demo-agent", Version: o.Version,
	}); err != nil {
		return nil, err
	}
	cfg := agent.DefaultConfig()
	cfg.DataDir = agentDir
	cfg.Site = "Demo"
	cfg.Admin.Listen = ports.pick(9631)
	cfg.IPP.Listen = ports.pick(8631)
	cfg.CardReaders = agent.ReadersConfig{
		ElatecTCPConv: ports.pick(7778), ElatecTCPConv2: ports.pick(7777), RFIDeas241: ports.pick(2001),
	}
	// The demo stays on loopback: no sweep or mDNS browse of this host's
	// networks. Its printer has no SNMP agent to find.
	cfg.Discovery.Disabled = true
	if o.Discovery != nil {
		cfg.Discovery = *o.Discovery
	}
	cfg.Panel.ConvenienceAuthListen, cfg.Panel.SSOListen = ports.pick(15042), ports.pick(15043)
	if d.agent, err = agent.New(cfg, o.Version, o.Logger.With("component", "agent")); err != nil {
		return nil, err
	}
	d.goRun(ctx, "agent", d.agent.Run)

	sample := filepath.Join(o.Dir, "sample.pdf")
	if err := os.WriteFile(sample, SamplePDF(), 0o644); err != nil {
		return nil, err
	}
	d.Info = Info{
		IPPURI:           "ipp://" + d.agent.IPPAddr() + "/ipp/print",
		IPPSURI:          "ipps://" + d.agent.IPPAddr() + "/ipp/print",
		RelayURL:         srv.url,
		RelayFingerprint: srv.fingerprint,
		ConsoleURL:       srv.url + "/",
		StatusURL:        "http://" + d.agent.AdminAddr() + "/",
		APIToken:         init.APIToken,
		Company:          companyCode,
		Admin:            Account{Email: adminEmail, Password: adminPassword},
		User:             User{Email: userEmail, Password: userPassword, Card: userCard},
		Reader:           Reader{Model: cardreader.ElatecTCPConv, Address: readerAddr, ConnectTo: d.agent.ReaderAddr(cardreader.ElatecTCPConv)},
		Printer:          d.printer.Addr(),
		PrinterOutputDir: d.printer.Dir(),
		SamplePDF:        sample,

		ConvenienceAuthURL: d.agent.ConvenienceAuthURL(),
		SSOURL:             d.agent.SSOURL(),
		PrinterID:          printer.ID,
	}
	data, _ := json.MarshalIndent(d.Info, "", "  ")
	if err := os.WriteFile(filepath.Join(o.Dir, "demo.json"), append(data, '\n'), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

// Printer is the simulated printer, for tests that wait for jobs.
func (d *Demo) Printer() *printersim.Printer { return d.printer }

// AgentStatus is the agent's current status.
func (d *Demo) AgentStatus() agent.Status { return d.agent.Status() }

// Wait blocks until the context given to Start is done, or a part fails,
// and returns once everything has stopped.
func (d *Demo) Wait() error {
	var err error
	select {
	case <-d.ctx.Done():
	case err = <-d.errs:
	}
	d.stopAll()
	return err
}

// RestartRelay stops the relay and starts it again on the same port with the
// same data, as an operator's restart would.
func (d *Demo) RestartRelay(ctx context.Context) error {
	d.mu.Lock()
	cancel, done := d.relayCancel, d.relayDone
	d.mu.Unlock()
	cancel()
	if err := <-done; err != nil {
		return fmt.Errorf("demo: relay stop: %w", err)
	}
	return d.startRelay(ctx)
}

type relayInfo struct{ url, fingerprint string }

func (d *Demo) currentRelayInfo() relayInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.relayInfo
}

func (d *Demo) startRelay(ctx context.Context) error {
	srv, err := relay.New(d.relayCfg, d.opts.Logger.With("component", "relay"))
	if err != nil {
		return err
	}
	// Keep the port: a restart must come back where agents look for it.
	d.relayCfg.Listen = srv.Addr().String()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	d.mu.Lock()
	d.relayCancel, d.relayDone = cancel, done
	d.relayInfo = relayInfo{url: srv.URL(), fingerprint: srv.Fingerprint()}
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		done <- srv.Serve(rctx)
	}()
	return nil
}

func (d *Demo) goRun(ctx context.Context, name string, run func(context.Context) error) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := run(ctx); err != nil && ctx.Err() == nil {
			select {
			case d.errs <- fmt.Errorf("demo: %s: %w", name, err):
			default:
			}
		}
	}()
}

func (d *Demo) stopAll() {
	d.cancel()
	d.wg.Wait()
}

// prepareDir refuses to scribble over a directory that is not an earlier
// demo's, and clears an earlier demo's state so every run starts fresh.
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	} else if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "demo.json")); err != nil {
		return fmt.Errorf("demo: %s is not empty and holds no earlier demo: pick an empty or new directory", dir)
	}
	for _, sub := range []string{"relay", "agent", "printer-output", "demo.json", "sample.pdf"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

// portPicker prefers the usual port and falls back to a free one. With
// ephemeral it returns port 0 and leaves the choice to whoever binds, so
// nothing can take the port between picking and binding; every address the
// demo reports is read back from its bound listener.
type portPicker struct{ ephemeral bool }

func (p portPicker) pick(preferred int) string {
	if p.ephemeral {
		return "127.0.0.1:0"
	}
	addr := fmt.Sprintf("127.0.0.1:%d", preferred)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "127.0.0.1:0"
		}
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randomPassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

func pinnedClient(fingerprint string) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(fingerprint)}}
}

// apiClient calls the relay's admin API.
type apiClient struct {
	base, token string
	http        *http.Client
}

func (c apiClient) post(ctx context.Context, path string, in, out any) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("demo: %s: %s: %s", path, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// UserURI is uri with the user's credentials in it, as ipptool takes them.
func (i Info) UserURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	u.User = url.UserPassword(i.User.Email, i.User.Password)
	return u.String()
}
