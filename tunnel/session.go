package tunnel

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/yamux"
)

const (
	// handshakeTimeout bounds Dial: TCP, TLS and the websocket upgrade.
	handshakeTimeout = 15 * time.Second
	// keepAliveInterval and writeTimeout together bound how long a dead peer
	// goes unnoticed (30s): a ping every interval, answered within
	// writeTimeout. The ping queues behind job data in the TCP buffers, so
	// writeTimeout leaves a slow, saturated link time to carry it.
	keepAliveInterval = 10 * time.Second
	writeTimeout      = 20 * time.Second
	// streamWindow is the most a stream may have in flight unacknowledged
	// (and buffered at the receiver): 10 MB/s per stream at 100 ms RTT.
	streamWindow = 1 << 20
	// acceptBacklog bounds streams opened by the peer and not yet accepted,
	// and our own stream opens awaiting the peer's acknowledgement.
	acceptBacklog = 128
	// streamOpenTimeout: a peer that does not acknowledge a new stream by then
	// is considered gone and the session ends.
	streamOpenTimeout = 30 * time.Second
	// streamCloseTimeout: how long a half-closed stream waits for the peer's
	// close before it is reset.
	streamCloseTimeout = time.Minute

	// readHeaderTimeout bounds reading a request's header from the peer.
	readHeaderTimeout = 10 * time.Second
	maxHeaderBytes    = 64 << 10
	// idleStreamTimeout closes keep-alive streams nobody reuses.
	idleStreamTimeout = 90 * time.Second
	maxIdleStreams    = 16
	// shutdownTimeout bounds waiting for handlers once the session is gone.
	shutdownTimeout = 5 * time.Second
	// tcpKeepAlive is the TCP keepalive of the agent's connection to the relay.
	tcpKeepAlive = 30 * time.Second
)

var (
	// ErrUnauthorized is wrapped by Dial's error when the relay answers 401 or
	// 403: retrying will not help until the agent's credentials are fixed.
	ErrUnauthorized = errors.New("tunnel: unauthorized")
	// ErrClosed is the reason of a session ended by Close, and the error of
	// requests made on a session that is gone.
	ErrClosed = errors.New("tunnel: session closed")
	// ErrPeerClosed is the reason of a session the peer closed cleanly.
	ErrPeerClosed = errors.New("tunnel: peer closed the session")
)

// Session is one agent⇄relay connection.
type Session struct {
	conn      *wsConn
	ylog      *yamuxLog
	mux       *yamux.Session
	client    *http.Client
	transport *http.Transport

	ctx    context.Context // cancelled once the session is gone
	cancel context.CancelFunc
	stop   func() bool // stops closing the session when Accept's request ends

	done chan struct{} // closed by watch once everything below it is closed
	err  error         // why the session ended; written before done is closed

	closeOnce sync.Once
	mu        sync.Mutex
	closed    bool // Close was called
	served    bool // Serve was called
	serving   sync.WaitGroup
}

// Dial is the agent side: it opens a websocket to url
// (wss://host/api/v1/agents/tunnel) sending header, using tlsConfig for the
// TLS handshake, and runs a yamux client session on it. An answer other than
// 101 gives an error with the HTTP status; 401 and 403 wrap ErrUnauthorized.
// ctx bounds the handshake only, which also ends after handshakeTimeout.
// Plain ws:// is refused except to a loopback address: the header carries
// the agent's secret.
func Dial(ctx context.Context, url string, header http.Header, tlsConfig *tls.Config) (*Session, error) {
	u, err := checkURL(url)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()

	var cfg *tls.Config
	if tlsConfig != nil {
		cfg = tlsConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	cfg.NextProtos = []string{"http/1.1"} // websockets upgrade over HTTP/1.1 only
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{KeepAlive: tcpKeepAlive}).DialContext,
		TLSClientConfig:     cfg,
		TLSHandshakeTimeout: handshakeTimeout,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{
		Transport: tr,
		// A redirect is a misconfiguration to report, not to follow with
		// the agent's secret.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	var remote net.Addr
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { remote = info.Conn.RemoteAddr() },
	})
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: header})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, refusal(resp)
		}
		return nil, fmt.Errorf("tunnel: dial %s: %w", u.Redacted(), err)
	}
	s, err := newSession(context.Background(), ws, true, remote)
	if err != nil {
		_ = ws.CloseNow()
		return nil, err
	}
	return s, nil
}

// Accept is the relay side: it upgrades the (already authenticated) request
// to a websocket and runs a yamux server session on it. On error the client
// has been answered. The handler must not return while the session is in
// use: it calls s.Serve, which blocks until the session ends. The session is
// also closed when r's context is cancelled (e.g. a BaseContext the relay
// cancels on shutdown).
func Accept(w http.ResponseWriter, r *http.Request) (*Session, error) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil, fmt.Errorf("tunnel: accept: %w", err)
	}
	s, err := newSession(r.Context(), ws, false, nil)
	if err != nil {
		_ = ws.CloseNow()
		return nil, err
	}
	return s, nil
}

func newSession(parent context.Context, ws *websocket.Conn, client bool, remote net.Addr) (*Session, error) {
	s := &Session{done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.conn = newWSConn(s.ctx, ws, remote)
	s.ylog = &yamuxLog{conn: s.conn}

	cfg := &yamux.Config{
		AcceptBacklog:          acceptBacklog,
		EnableKeepAlive:        true,
		KeepAliveInterval:      keepAliveInterval,
		ConnectionWriteTimeout: writeTimeout,
		MaxStreamWindowSize:    streamWindow,
		StreamOpenTimeout:      streamOpenTimeout,
		StreamCloseTimeout:     streamCloseTimeout,
		Logger:                 s.ylog,
	}
	var err error
	if client {
		s.mux, err = yamux.Client(s.conn, cfg)
	} else {
		s.mux, err = yamux.Server(s.conn, cfg)
	}
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("tunnel: yamux: %w", err)
	}

	s.transport = &http.Transport{
		DialContext:         s.openStream,
		DisableCompression:  true,
		MaxIdleConns:        maxIdleStreams,
		MaxIdleConnsPerHost: maxIdleStreams,
		IdleConnTimeout:     idleStreamTimeout,
	}
	// No Timeout: bodies may be gigabytes; callers bound requests with contexts.
	s.client = &http.Client{Transport: s.transport}

	s.stop = context.AfterFunc(parent, func() { _ = s.Close() })
	go s.watch()
	return s, nil
}

// watch finishes the teardown however the session ended: Close, the peer, a
// network error or a missed keepalive. Its owner is the session: Close and
// Serve wait for done.
func (s *Session) watch() {
	defer close(s.done)
	<-s.mux.CloseChan()
	_ = s.conn.Close() // waits if yamux is still closing it
	s.stop()
	s.err = s.reason()
	s.cancel()
	s.transport.CloseIdleConnections()
}

func (s *Session) reason() error {
	// An I/O error is recorded only if it came before the teardown began,
	// so it is the cause even when Close was called meanwhile.
	if err := s.conn.ioErr(); err != nil {
		if err == io.EOF { // NetConn's translation of a close frame; a dropped connection is a wrapped EOF
			return ErrPeerClosed
		}
		return fmt.Errorf("tunnel: connection lost: %w", err)
	}
	if s.conn.graceful.Load() {
		return ErrClosed
	}
	if msg := s.ylog.lastErr(); msg != "" {
		return fmt.Errorf("tunnel: %s", msg)
	}
	return errors.New("tunnel: session ended")
}

func (s *Session) openStream(ctx context.Context, _, _ string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := s.mux.OpenStream()
	if err != nil {
		if s.mux.IsClosed() {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("tunnel: open stream: %w", err)
	}
	return st, nil
}

// Serve answers the peer's HTTP requests with h until the session ends, then
// waits (at most shutdownTimeout) for running handlers, whose request
// contexts are cancelled, and returns. It returns nil when the session was
// closed by Close or cleanly by the peer, else why it ended. Serve may be
// called once per session. A handler must not call Close: it would wait for
// itself until shutdownTimeout.
func (s *Session) Serve(h http.Handler) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		<-s.done
		return s.serveErr()
	case s.served:
		s.mu.Unlock()
		return errors.New("tunnel: Serve called twice")
	}
	s.served = true
	s.serving.Add(1)
	s.mu.Unlock()

	s.serve(h)
	s.serving.Done()
	_ = s.Close() // the session is gone; finish (or wait for) the teardown
	return s.serveErr()
}

func (s *Session) serve(h http.Handler) {
	l := &listener{s: s}
	l.ctx, l.cancel = context.WithCancel(s.ctx)
	defer l.cancel()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		IdleTimeout:       idleStreamTimeout,
		// No WriteTimeout: responses stream job bodies.
		BaseContext: func(net.Listener) context.Context { return s.ctx },
	}
	_ = srv.Serve(l) // returns when the session is gone: its reason is s.err

	// A fresh context: the session's own is cancelled by now.
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
}

func (s *Session) serveErr() error {
	err := s.Err()
	if err == nil || errors.Is(err, ErrClosed) || errors.Is(err, ErrPeerClosed) {
		return nil
	}
	return err
}

// Client returns an *http.Client whose requests reach the peer's handler; the
// URL host is ignored (use "http://peer/path"). Each HTTP connection is one
// yamux stream. It has no overall timeout (bodies may be GBs): callers use
// contexts. Requests on a session that is gone fail with ErrClosed.
func (s *Session) Client() *http.Client { return s.client }

// Close closes the session (yamux and the websocket, with a close handshake
// that waits at most 10 s for a silent peer) and waits for Serve's server to
// stop. It may be called more than once; it returns nil.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if !s.mux.IsClosed() { // else it ended already, for its own reason
			s.conn.graceful.Store(true)
		}
		_ = s.mux.Close()
		<-s.done
		s.serving.Wait()
	})
	return nil
}

// Done is closed when the session is gone (peer closed, network died, missed
// keepalives, Close).
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is nil while the session is up, then why it ended: ErrClosed,
// ErrPeerClosed, or the network or keepalive failure.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// RemoteAddr is the address of the peer's TCP connection (of the proxy, if
// the agent dials through one).
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("tunnel: relay url: %w", err)
	}
	switch u.Scheme {
	case "wss", "https":
		return u, nil
	case "ws", "http":
		if isLoopback(u.Hostname()) {
			return u, nil
		}
		return nil, fmt.Errorf("tunnel: relay url %s: refusing to send credentials without TLS", u.Redacted())
	}
	return nil, fmt.Errorf("tunnel: relay url %s: scheme must be wss", u.Redacted())
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refusal is Dial's error for an answer other than 101, with the relay's
// {"error": ...} message when there is one.
func refusal(resp *http.Response) error {
	msg := resp.Status
	if resp.Body != nil {
		var e struct {
			Error string `json:"error"`
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg += fmt.Sprintf(": %q", e.Error)
		}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w: relay answered %s", ErrUnauthorized, msg)
	}
	return fmt.Errorf("tunnel: relay answered %s", msg)
}
