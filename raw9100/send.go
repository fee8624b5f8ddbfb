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
	// defaultStatusTimeout is short: a printer that answers PJL does so at
	// once, and one that does not must not delay every job by much.
	defaultStatusTimeout = 3 * time.Second
	copyBufferSize       = 256 << 10
)

// Options tune a send.
type Options struct {
	DialTimeout time.Duration
	// WriteTimeout is how long one write may block: a printer that stops
	// reading for longer is stalled and the send fails.
	WriteTimeout time.Duration
	// DrainTimeout is how long to wait, after the last byte, for the printer
	// to close its side (or, with ReadBack, to report the job's end).
	DrainTimeout time.Duration
	// ReadBack asks the printer over PJL for its status before the job
	// (@PJL INFO STATUS: a printer offline or in error gets no job) and for
	// the job's end after it (@PJL USTATUS JOB=ON), so Result.Confirmed
	// says the printer itself took the job. Printers that do not answer
	// still get the job, unconfirmed.
	ReadBack bool
	// StatusTimeout bounds the wait for the INFO STATUS answer.
	StatusTimeout time.Duration
}

// Result is what a send learnt.
type Result struct {
	Bytes     int64   // document bytes sent
	Status    *Status // the printer's INFO STATUS before the job, if it answered
	Confirmed bool    // the printer reported the job's end (USTATUS JOB END)
	Pages     int     // pages the printer counted, if it said
}

// Send delivers doc to the printer at addr ("host:port"; port 9100 when
// missing), framed by job's PJL. It returns the number of document bytes sent.
func Send(ctx context.Context, addr string, job Job, doc io.Reader, opt Options) (int64, error) {
	r, err := SendJob(ctx, addr, job, doc, opt)
	return r.Bytes, err
}

// SendJob is Send that also reports what PJL read-back learnt.
func SendJob(ctx context.Context, addr string, job Job, doc io.Reader, opt Options) (Result, error) {
	opt = opt.withDefaults()
	if job.Quirks.NoReadBack {
		opt.ReadBack = false
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, fmt.Sprint(DefaultPort))
	}
	d := net.Dialer{Timeout: opt.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Result{}, fmt.Errorf("raw9100: connect %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	var res Result
	var back *backChannel
	if opt.ReadBack {
		back = listen(conn)
		defer back.stop()
		st, err := back.status(conn, opt)
		if err != nil {
			return res, fmt.Errorf("raw9100: status of %s: %w", addr, err)
		}
		res.Status = st
		if st != nil {
			if err := st.Err(); err != nil {
				return res, fmt.Errorf("raw9100: %s: %w", addr, err)
			}
		}
	}

	counted := &countingReader{r: doc}
	w := &deadlineWriter{conn: conn, timeout: opt.WriteTimeout}
	buf := make([]byte, copyBufferSize)
	_, err = io.CopyBuffer(w, job.Wrap(counted), buf)
	res.Bytes = counted.n
	if err != nil {
		return res, fmt.Errorf("raw9100: send to %s: %w", addr, err)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		if err := tcp.CloseWrite(); err != nil {
			return res, fmt.Errorf("raw9100: half-close %s: %w", addr, err)
		}
	}
	if back != nil {
		res.Pages, res.Confirmed, err = back.jobEnd(conn, job, opt.DrainTimeout)
	} else {
		err = drain(conn, opt.DrainTimeout)
	}
	if err != nil {
		return res, fmt.Errorf("raw9100: finish %s: %w", addr, err)
	}
	return res, ctx.Err()
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
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = defaultStatusTimeout
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
