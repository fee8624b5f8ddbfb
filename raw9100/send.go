package raw9100

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultPort         = 9100
	defaultDialTimeout  = 10 * time.Second
	defaultWriteTimeout = 60 * time.Second // a printer may pause while it warms up
	defaultDrainTimeout = 30 * time.Second
	copyBufferSize      = 256 << 10
)

// Options tune a send.
type Options struct {
	DialTimeout time.Duration
	// WriteTimeout is how long one write may block: a printer that stops
	// reading for longer is stalled and the send fails.
	WriteTimeout time.Duration
	// DrainTimeout is how long to wait, after the last byte, for the printer
	// to close its side.
	DrainTimeout time.Duration
}

// Send delivers doc to the printer at addr ("host:port"; port 9100 when
// missing), framed by job's PJL. It returns the number of document bytes sent.
func Send(ctx context.Context, addr string, job Job, doc io.Reader, opt Options) (int64, error) {
	opt = opt.withDefaults()
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, fmt.Sprint(DefaultPort))
	}
	d := net.Dialer{Timeout: opt.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("raw9100: connect %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	counted := &countingReader{r: doc}
	w := &deadlineWriter{conn: conn, timeout: opt.WriteTimeout}
	buf := make([]byte, copyBufferSize)
	if _, err := io.CopyBuffer(w, job.Wrap(counted), buf); err != nil {
		return counted.n, fmt.Errorf("raw9100: send to %s: %w", addr, err)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		if err := tcp.CloseWrite(); err != nil {
			return counted.n, fmt.Errorf("raw9100: half-close %s: %w", addr, err)
		}
	}
	if err := drain(conn, opt.DrainTimeout); err != nil {
		return counted.n, fmt.Errorf("raw9100: finish %s: %w", addr, err)
	}
	return counted.n, ctx.Err()
}

// drain reads until the printer closes. A reset means the printer dropped the
// job; a quiet printer that keeps the connection open past the deadline has
// taken every byte already, which is success.
func drain(conn net.Conn, timeout time.Duration) error {
	conn.SetReadDeadline(time.Now().Add(timeout))
	_, err := io.Copy(io.Discard, io.LimitReader(conn, 1<<20))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = defaultDialTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = defaultWriteTimeout
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = defaultDrainTimeout
	}
	return o
}

type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.conn.Write(p)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
