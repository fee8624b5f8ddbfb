package ipp

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

const (
	// sniffTimeout is how long a new connection has to send its first byte.
	sniffTimeout = 10 * time.Second
	// maxSniffing caps connections waiting for their first byte; past
	// it, new ones are closed at once.
	maxSniffing = 256
	// tlsRecordHandshake is the first byte of a TLS ClientHello.
	tlsRecordHandshake = 0x16
)

// sniffListener serves IPP and IPPS on one port. It reads the first byte of
// each accepted connection: a TLS handshake record becomes a TLS server
// connection, anything else stays plain HTTP. The wait for that byte runs
// in a goroutine per connection, under sniffTimeout, so one silent client
// does not hold up the others. It also takes back plain connections that
// upgraded to TLS (RFC 2817) and hands them out again.
type sniffListener struct {
	ln        net.Listener
	tlsConfig *tls.Config // nil: plain HTTP only
	log       *slog.Logger

	conns      chan net.Conn
	done       chan struct{} // closed by Close
	acceptDone chan struct{} // closed when the accept loop ends
	acceptErr  error         // why it ended; read after acceptDone
	slots      chan struct{}

	mu      sync.Mutex
	pending map[net.Conn]struct{} // waiting for their first byte

	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
}

// newSniffListener starts accepting on ln. tlsConfig may be nil (no TLS);
// otherwise it is cloned, limited to HTTP/1.1 (what IPP clients speak) and
// made to send no session tickets: CUPS with GnuTLS (Linux ipptool, lp)
// takes a TLS 1.3 NewSessionTicket arriving before the response for a
// failed read, drops the connection and retries forever.
func newSniffListener(ln net.Listener, tlsConfig *tls.Config, log *slog.Logger) *sniffListener {
	if tlsConfig != nil {
		tlsConfig = tlsConfig.Clone()
		tlsConfig.NextProtos = []string{"http/1.1"}
		tlsConfig.SessionTicketsDisabled = true
		if tlsConfig.MinVersion == 0 {
			tlsConfig.MinVersion = tls.VersionTLS12
		}
	}
	l := &sniffListener{
		ln:         ln,
		tlsConfig:  tlsConfig,
		log:        log,
		conns:      make(chan net.Conn),
		done:       make(chan struct{}),
		acceptDone: make(chan struct{}),
		slots:      make(chan struct{}, maxSniffing),
		pending:    make(map[net.Conn]struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// Accept returns the next sniffed (or upgraded) connection.
func (l *sniffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.acceptDone:
		return nil, l.acceptErr
	}
}

// Close stops accepting, closes connections still being sniffed and waits
// for its goroutines.
func (l *sniffListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.closeErr = l.ln.Close()
		l.mu.Lock()
		for c := range l.pending {
			_ = c.Close()
		}
		l.mu.Unlock()
	})
	l.wg.Wait()
	return l.closeErr
}

func (l *sniffListener) Addr() net.Addr { return l.ln.Addr() }

func (l *sniffListener) tlsAvailable() bool { return l.tlsConfig != nil }

// serverTLS makes c the server side of a TLS connection, as this listener
// would; only for a listener with TLS.
func (l *sniffListener) serverTLS(c net.Conn) *tls.Conn { return tls.Server(c, l.tlsConfig) }

// serve hands c (upgraded to TLS) to the server as a new connection.
func (l *sniffListener) serve(c net.Conn) { l.deliver(c) }

func (l *sniffListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// temporary is what accept errors worth retrying (EMFILE...) implement.
type temporary interface{ Temporary() bool }

func (l *sniffListener) acceptLoop() {
	defer l.wg.Done()
	defer close(l.acceptDone)
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			var t temporary
			if errors.As(err, &t) && t.Temporary() {
				// Capped backoff, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(delay):
					continue
				case <-l.done:
				}
			}
			l.acceptErr = err
			return
		}
		delay = 0
		select {
		case l.slots <- struct{}{}:
		default:
			l.log.Debug("ipp: too many connections waiting for their first byte", "remote", c.RemoteAddr())
			_ = c.Close()
			continue
		}
		if !l.track(c) {
			<-l.slots
			_ = c.Close()
			return
		}
		l.wg.Add(1)
		go l.sniff(c)
	}
}

// track records c as pending, unless the listener is closing.
func (l *sniffListener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
	}
	l.pending[c] = struct{}{}
	return true
}

func (l *sniffListener) sniff(c net.Conn) {
	defer l.wg.Done()
	var first [1]byte
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	_, err := io.ReadFull(c, first[:])
	_ = c.SetReadDeadline(time.Time{})
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
	<-l.slots
	if err != nil {
		l.log.Debug("ipp: connection sent nothing", "remote", c.RemoteAddr(), "err", err)
		_ = c.Close()
		return
	}
	pc := &prefixConn{Conn: c, prefix: first[:]}
	if first[0] != tlsRecordHandshake {
		l.deliver(pc)
		return
	}
	if l.tlsConfig == nil {
		l.log.Debug("ipp: tls handshake on a plain-only listener", "remote", c.RemoteAddr())
		_ = c.Close()
		return
	}
	l.deliver(tls.Server(pc, l.tlsConfig))
}

// prefixConn is a connection with bytes already read from it put back in
// front.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
