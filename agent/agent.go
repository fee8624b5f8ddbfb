package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/edgeprint/edgeprint/cardreader"
	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/dnssd"
	"github.com/edgeprint/edgeprint/docstore"
	"github.com/edgeprint/edgeprint/ipp"
	"github.com/edgeprint/edgeprint/ldapauth"
	"github.com/edgeprint/edgeprint/tunnel"
)

// shutdownTimeout bounds draining the HTTP servers on stop.
const shutdownTimeout = 10 * time.Second

// Agent is a running site agent.
type Agent struct {
	cfg      Config
	id       Identity
	version  string
	log      *slog.Logger
	store    *Store
	docs     *docstore.Store
	relay    relayClient
	registry *prometheus.Registry
	metrics  *metrics
	queue    *ipp.Server
	dir      *ldapauth.Directory // nil without directories
	spool    *Spool
	ippJobs  *ippJobs         // the queue's view of the spool (ippjobs.go)
	mdns     *dnssd.Responder // nil when not advertising
	tls      *tls.Config
	started  time.Time

	ippLn   net.Listener
	adminLn net.Listener
	readers []readerListener
	panel   panel       // printer panel login (panel.go)
	auditQ  *auditQueue // login attempts on their way to the relay (audit.go)

	cfgBackoff    tunnel.Backoff
	tunnelMetrics *tunnel.Metrics
	sess          *sessionHolder
	uploadKick    chan struct{}
	reportKick    chan struct{}
	updateKick    chan struct{}
	updates       *Updates // nil: this agent does not update itself

	delivery *deliverer // sends released jobs (deliver.go)

	mu        sync.Mutex
	releasing map[string]bool // job ids being sent to a printer

	disc          *discovery     // printer discovery (discovery.go)
	swipe         swipeState     // swipe.go
	readerBackoff tunnel.Backoff // server-mode re-dials; zero: cardreader's default
}

type readerListener struct {
	model string
	ln    net.Listener
}

// service is one long-running part of the agent. They are started in the
// order listed in services and stop together.
type service struct {
	name string
	run  func(ctx context.Context) error
}

// New opens the agent's database and spool, loads its identity and binds
// every listener, so a port already in use fails here, before anything runs.
func New(cfg Config, version string, logger *slog.Logger) (_ *Agent, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	id, err := LoadIdentity(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg: cfg, id: id, version: version, log: logger, started: time.Now(),
		registry:   prometheus.NewRegistry(),
		uploadKick: make(chan struct{}, 1),
		reportKick: make(chan struct{}, 1),
		updateKick: make(chan struct{}, 1),
		releasing:  map[string]bool{},
		sess:       newSessionHolder(),
		disc:       newDiscovery(cfg.Discovery),
		swipe:      newSwipeState(),
		auditQ:     newAuditQueue(),
	}
	a.relay = relayClient{session: a.sess.wait}
	a.metrics = newMetrics(a.registry)
	a.disc.metrics = newDiscoveryMetrics(a.registry)
	a.tunnelMetrics = tunnel.NewMetrics(a.registry)
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: data dir: %w", err)
	}
	if a.store, err = OpenStore(filepath.Join(cfg.DataDir, "agent.db")); err != nil {
		return nil, err
	}
	if a.docs, err = docstore.Open(filepath.Join(cfg.DataDir, "spool")); err != nil {
		return nil, err
	}
	a.delivery = newDeliverer(a)
	a.delivery.checker = printerHealth{a}
	cert, err := certs.LoadOrCreate(cfg.IPP.CertFile, cfg.IPP.KeyFile, filepath.Join(cfg.DataDir, "tls"), "agent", cfg.IPP.Hosts)
	if err != nil {
		return nil, err
	}
	a.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if sc, err := a.store.SiteConfig(); err != nil {
		return nil, err
	} else {
		a.useSiteConfig(sc)
	}
	uuid, err := a.store.QueueUUID(newUUID)
	if err != nil {
		return nil, err
	}
	if a.spool, err = newSpool(a.docs, a.store, logger, func(rec JobRecord) {
		a.metrics.jobsSpooled.Inc()
		a.metrics.spoolBytes.Add(float64(rec.Size))
		a.kick(a.uploadKick)
	}); err != nil {
		return nil, err
	}
	if err := a.spool.recover(); err != nil {
		return nil, err
	}
	jobs, err := newIPPJobs(a)
	if err != nil {
		return nil, err
	}
	a.ippJobs = jobs
	sc, err := a.store.SiteConfig()
	if err != nil {
		return nil, err
	}
	queueCfg := ipp.Config{
		Name:            cfg.Site + " Secure Print",
		UUID:            uuid,
		MaxDocumentSize: cfg.IPP.MaxDocumentMB << 20,
		Metrics:         ipp.NewMetrics(a.registry),
		Jobs:            jobs,
		Capabilities:    QueueCapabilities(sc.Printers),
	}
	if err := queueCfg.Validate(); err != nil {
		return nil, err
	}
	if a.dir, err = newDirectory(cfg.LDAP, logger, a.registry); err != nil {
		return nil, err
	}
	a.queue = ipp.NewServer(queueCfg, a, a, logger.With("component", "ipp"))

	if a.ippLn, err = net.Listen("tcp", cfg.IPP.Listen); err != nil {
		return nil, fmt.Errorf("agent: ipp: %w", err)
	}
	a.mdns = a.newAdvertiser()
	if a.adminLn, err = net.Listen("tcp", cfg.Admin.Listen); err != nil {
		return nil, fmt.Errorf("agent: admin: %w", err)
	}
	for _, r := range []struct{ model, addr string }{
		{cardreader.ElatecTCPConv, cfg.CardReaders.ElatecTCPConv},
		{cardreader.ElatecTCPConv2, cfg.CardReaders.ElatecTCPConv2},
		{cardreader.RFIDeas241, cfg.CardReaders.RFIDeas241},
	} {
		if r.addr == Off {
			continue
		}
		ln, err := net.Listen("tcp", r.addr)
		if err != nil {
			return nil, fmt.Errorf("agent: card reader %s: %w", r.model, err)
		}
		if r.model == cardreader.RFIDeas241 && cfg.CardReaders.RFIDeas241TLS {
			ln = tls.NewListener(ln, a.tls) // behind a terminator: cardreader/README.md
		}
		a.readers = append(a.readers, readerListener{r.model, ln})
	}
	if err := a.openPanel(); err != nil {
		return nil, err
	}
	return a, nil
}

// services lists what runs, in start order.
func (a *Agent) services() []service {
	s := []service{
		{"ipp", func(ctx context.Context) error {
			return ipp.Serve(ctx, a.ippLn, a.tls, a.queue, a.log.With("component", "ipp"))
		}},
	}
	for _, r := range a.readers {
		l := &cardreader.Listener{Model: r.model, Handler: a.onSwipe, Allow: a.allowReader, Logger: a.log.With("component", "cardreader")}
		s = append(s, service{"card reader " + r.model, func(ctx context.Context) error { return l.Serve(ctx, r.ln) }})
	}
	s = append(s, a.panelServices()...)
	s = append(s,
		service{"card reader dialers", a.runDialers},
		service{"swipe reports", a.sendSwipeReports},
		service{"dnssd", a.runAdvertiser},
		service{"admin", a.serveAdmin},
		service{"tunnel", a.keepTunnel},
		service{"sync", a.syncLoop},
		service{"audit", a.auditLoop},
		service{"ldap sync", a.directorySync},
		service{"discovery", a.discoveryLoop},
		service{"printer poll", a.pollLoop},
	)
	if a.updates != nil {
		s = append(s, service{"update", a.updateLoop})
	}
	return s
}

// Run runs the agent until ctx is done or a part of it fails.
func (a *Agent) Run(ctx context.Context) error {
	defer a.close()
	a.log.Info("agent started", "site", a.cfg.Site, "agent", a.id.AgentID, "relay", a.id.RelayURL,
		"queue", a.QueueURI(), "admin", "http://"+a.adminLn.Addr().String()+"/")
	g, ctx := errgroup.WithContext(ctx)
	for _, s := range a.services() {
		g.Go(func() error {
			if err := s.run(ctx); err != nil {
				return fmt.Errorf("agent: %s: %w", s.name, err)
			}
			return nil
		})
	}
	err := g.Wait()
	a.swipe.work.Wait() // releases in flight end with ctx
	a.log.Info("agent stopped")
	return err
}

func (a *Agent) serveAdmin(ctx context.Context) error {
	srv := &http.Server{Handler: a.adminHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(a.adminLn); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (a *Agent) close() {
	if a.mdns != nil {
		a.mdns.Close()
	}
	for _, ln := range []net.Listener{a.ippLn, a.adminLn} {
		if ln != nil {
			ln.Close()
		}
	}
	for _, r := range a.readers {
		r.ln.Close()
	}
	a.closePanel()
	if a.spool != nil {
		a.spool.stop()
	}
	if a.store != nil {
		a.store.Close()
	}
}

// QueueURI is the IPPS address of the print queue.
func (a *Agent) QueueURI() string {
	return "ipps://" + a.advertisedAddr(a.ippLn) + "/ipp/print"
}

// AdminAddr is the bound address of the status page.
func (a *Agent) AdminAddr() string { return a.adminLn.Addr().String() }

// IPPAddr is the bound address of the print queue.
func (a *Agent) IPPAddr() string { return a.ippLn.Addr().String() }

// ReaderAddr is the bound address of a reader model's listener, "" if off.
func (a *Agent) ReaderAddr(model string) string {
	for _, r := range a.readers {
		if r.model == model {
			return r.ln.Addr().String()
		}
	}
	return ""
}

func (a *Agent) listeners() []Listener {
	out := []Listener{{"ipp/ipps", a.IPPAddr()}, {"status page", a.AdminAddr()}}
	for _, r := range a.readers {
		out = append(out, Listener{"card reader " + r.model, r.ln.Addr().String()})
	}
	return append(out, a.panelListeners()...)
}

// advertisedAddr is host:port clients use: the bound address, or this
// host's name when bound to all interfaces.
func (a *Agent) advertisedAddr(ln net.Listener) string {
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}

func newUUID() string {
	b := []byte(newJobID())
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", b[0:8], b[8:12], b[13:16], b[17:20], b[20:32])
}
