package tunnel

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// wsConn is the websocket as the net.Conn under yamux. It remembers the first
// I/O error seen before teardown began (why the session ended) and closes the
// websocket gracefully only when the session is closed on purpose: after a
// failure the close handshake would just wait out coder/websocket's timeouts.
type wsConn struct {
	net.Conn // websocket.NetConn
	ws       *websocket.Conn
	remote   net.Addr

	graceful  atomic.Bool // set by Session.Close before it closes yamux
	closing   atomic.Bool
	closeOnce sync.Once

	mu  sync.Mutex
	err error
}

func newWSConn(ctx context.Context, ws *websocket.Conn, remote net.Addr) *wsConn {
	c := &wsConn{Conn: websocket.NetConn(ctx, ws, websocket.MessageBinary), ws: ws, remote: remote}
	if c.remote == nil {
		c.remote = c.Conn.RemoteAddr()
	}
	return c
}

func (c *wsConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.record(err)
	}
	return n, err
}

func (c *wsConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.record(err)
	}
	return n, err
}

func (c *wsConn) record(err error) {
	if c.closing.Load() {
		return // a consequence of closing, not a cause
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

func (c *wsConn) ioErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close is called by yamux and by the session's watcher; the second caller
// waits for the first to finish.
func (c *wsConn) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		if c.graceful.Load() {
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
		} else {
			_ = c.ws.CloseNow()
		}
		_ = c.Conn.Close() // stops NetConn's timers; the websocket is already closed
	})
	return nil
}

func (c *wsConn) RemoteAddr() net.Addr { return c.remote }

// yamuxLog takes yamux's log lines, which would otherwise go to stderr, and
// keeps the last error yamux reported before teardown began: when yamux ends a
// session itself (missed keepalive, protocol error) that line is the reason.
type yamuxLog struct {
	conn *wsConn
	mu   sync.Mutex
	last string
}

func (l *yamuxLog) Print(v ...any)                 { l.line(fmt.Sprint(v...)) }
func (l *yamuxLog) Printf(format string, v ...any) { l.line(fmt.Sprintf(format, v...)) }
func (l *yamuxLog) Println(v ...any)               { l.line(fmt.Sprintln(v...)) }

func (l *yamuxLog) line(s string) {
	msg, ok := strings.CutPrefix(s, "[ERR] ")
	if !ok || l.conn.closing.Load() {
		return
	}
	l.mu.Lock()
	l.last = strings.TrimSpace(msg)
	l.mu.Unlock()
}

func (l *yamuxLog) lastErr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// listener hands the streams the peer opens to an http.Server.
type listener struct {
	s      *Session
	ctx    context.Context
	cancel context.CancelFunc
}

func (l *listener) Accept() (net.Conn, error) {
	st, err := l.s.mux.AcceptStreamWithContext(l.ctx)
	if err != nil {
		// Not a net.Error: http.Server must stop, not retry.
		return nil, fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return st, nil
}

// Close stops Accept; the session itself belongs to Session.
func (l *listener) Close() error { l.cancel(); return nil }

func (l *listener) Addr() net.Addr { return l.s.mux.LocalAddr() }
