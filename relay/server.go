package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// shutdownTimeout bounds draining requests once Serve's context is done.
	shutdownTimeout = 15 * time.Second
	// readHeaderTimeout bounds the unauthenticated start of every request.
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10

	dbFile   = "relay.db" // the embedded store; its documents/ beside it
	certName = "relay"    // relay.crt, relay.key in the data dir
)

// Server is a relay: the HTTPS listener for the console, the JSON API and
// the agent tunnels, and the loopback admin listener.
type Server struct {
	cfg         Config
	log         *slog.Logger
	store       store.Store
	keys        *keyWrapper
	fingerprint string
	metrics     *metrics

	ln, adminLn   net.Listener
	http, admin   *http.Server
	agents        *registry // the tunnels on this replica
	hub           *hub      // any agent, on any replica (hub.go)
	sessions      *sessions
	registerByIP  *keyedLimiter
	registerByCo  *keyedLimiter
	logins        *keyedLimiter
	unlocks       *keyedLimiter  // POST /portal/unlock, per user
	background    sync.WaitGroup // work Close waits for
	serving       atomic.Bool
	closeOnce     sync.Once
	closeErr      error
	sweepInterval time.Duration
	// directoryTimeout bounds a directory login through the agents;
	// zero means the constant directoryTimeout (tests shorten it).
	directoryTimeout time.Duration
	inventoryMu      sync.Mutex // one printer inventory merged at a time
}

// New opens the data dir (store, documents, master key), loads or creates
// the TLS certificate and binds the listeners, so Addr and URL are known
// before Serve. The caller must call Serve, or Close if it does not.
func New(cfg Config, logger *slog.Logger) (_ *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:           cfg,
		log:           logger,
		agents:        newRegistry(),
		sweepInterval: retentionSweepInterval,
	}
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("relay: data dir: %w", err)
	}
	db, err := openStoreURL(cfg.DataDir, cfg.Database)
	if err != nil {
		return nil, err
	}
	s.store = db
	closers = append(closers, db.Close)
	if s.keys, err = loadMasterKey(cfg.DataDir, logger); err != nil {
		return nil, err
	}
	s.metrics = newMetrics()
	s.wire()
	if err := s.hub.start(); err != nil {
		return nil, err
	}
	closers = append(closers, func() error { s.hub.close(); return nil })
	if err := s.sweepOrphans(context.Background(), time.Now()); err != nil {
		return nil, fmt.Errorf("relay: sweep orphaned documents: %w", err)
	}
	cert, err := certs.LoadOrCreate(cfg.CertFile, cfg.KeyFile, cfg.DataDir, certName, cfg.Hosts)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	if s.fingerprint, err = certs.LeafFingerprint(cert); err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}

	if s.ln, err = net.Listen("tcp", cfg.listen()); err != nil {
		return nil, fmt.Errorf("relay: listen: %w", err)
	}
	closers = append(closers, s.ln.Close)
	s.http = &http.Server{
		Handler:           s.routes(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// TLS handshake noise from scanners is not worth more than debug.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	if cfg.adminEnabled() {
		if !cfg.adminIsLoopback() {
			logger.Warn("admin listener is not on loopback: /metrics is reachable from the network", "addr", cfg.AdminListen)
		}
		if s.adminLn, err = net.Listen("tcp", cfg.AdminListen); err != nil {
			return nil, fmt.Errorf("relay: admin listen: %w", err)
		}
		closers = append(closers, s.adminLn.Close)
		s.admin = &http.Server{
			Handler:           s.adminRoutes(),
			ReadHeaderTimeout: readHeaderTimeout,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		}
	}
	logger.Info("relay ready", "url", s.URL(), "fingerprint", s.fingerprint, "data_dir", cfg.DataDir)
	return s, nil
}

// wire builds what sits on the store: sessions, rate limits and the hub.
func (s *Server) wire() {
	s.sessions = newSessions(s.store, s.log)
	s.registerByIP = newKeyedLimiter(s.store, s.log, "register-ip", registerPerIPEvery, registerPerIPBurst)
	s.registerByCo = newKeyedLimiter(s.store, s.log, "register-company", registerPerCompanyEvery, registerPerCompanyBurst)
	s.logins = newKeyedLimiter(s.store, s.log, "login", loginEvery, loginBurst)
	s.unlocks = newKeyedLimiter(s.store, s.log, "portal-unlock", unlockEvery, unlockBurst)
	s.hub = newHub(s.store, s.agents, s.keys.replicas, s.log, s.metrics)
	s.hub.onConfig = s.pushLocal
	s.hub.onUpdate = s.announceLocal
}

// Serve serves until ctx is done, then stops taking requests, drains the
// running ones (at most shutdownTimeout), closes the agent tunnels and the
// store. It returns nil after a shutdown asked for by ctx. It may be called
// once.
func (s *Server) Serve(ctx context.Context) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("relay: Serve called twice")
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return serverErr(s.http.ServeTLS(s.ln, "", ""))
	})
	if s.admin != nil {
		g.Go(func() error { return serverErr(s.admin.Serve(s.adminLn)) })
	}
	g.Go(func() error {
		s.runRetention(gctx)
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		s.shutdown()
		return nil
	})
	err := g.Wait()
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

func serverErr(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("relay: serve: %w", err)
}

// shutdown drains on a fresh context: the one Serve was given is done.
func (s *Server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		s.log.Warn("requests still running at shutdown, closing them", "err", err)
		_ = s.http.Close()
	}
	// Tunnels are hijacked connections, which Shutdown leaves alone.
	s.agents.closeAll()
	if s.admin != nil {
		if err := s.admin.Shutdown(ctx); err != nil {
			_ = s.admin.Close()
		}
	}
	s.log.Info("relay stopped")
}

// Close releases what New opened. Serve calls it on its way out; call it
// directly only for a Server that was never served.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		_ = s.ln.Close()
		if s.adminLn != nil {
			_ = s.adminLn.Close()
		}
		s.agents.closeAll()
		s.hub.close()
		s.background.Wait()
		s.closeErr = s.store.Close()
	})
	return s.closeErr
}

// Addr is the address of the HTTPS listener.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// AdminAddr is the address of the admin listener, nil when it is off.
func (s *Server) AdminAddr() net.Addr {
	if s.adminLn == nil {
		return nil
	}
	return s.adminLn.Addr()
}

// URL is the relay's base URL, https://host:port. For a listener on all
// interfaces the host is the first configured host name, else localhost.
func (s *Server) URL() string {
	tcp, _ := s.ln.Addr().(*net.TCPAddr)
	host := "localhost"
	switch {
	case tcp != nil && !tcp.IP.IsUnspecified():
		host = tcp.IP.String()
	case len(s.cfg.Hosts) > 0:
		host = s.cfg.Hosts[0]
	}
	port := "443"
	if tcp != nil {
		port = fmt.Sprint(tcp.Port)
	}
	return "https://" + net.JoinHostPort(host, port)
}

// Fingerprint is the pin of the relay's certificate ("sha256:<hex>"), which
// agents use to trust a self-signed relay.
func (s *Server) Fingerprint() string { return s.fingerprint }
