package lpr

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultPort         = 515
	DefaultQueue        = "lp"
	defaultDialTimeout  = 10 * time.Second
	defaultWriteTimeout = 60 * time.Second // a printer may pause while it warms up
	// defaultAckTimeout is long: a print server acknowledges a data file
	// only once it wrote (and may have fsynced) all of it.
	defaultAckTimeout = 2 * time.Minute
	copyBufferSize    = 256 << 10
)

// Options tune a send.
type Options struct {
	DialTimeout time.Duration
	// WriteTimeout is how long one write may block: a server that stops
	// reading for longer is stalled and the send fails.
	WriteTimeout time.Duration
	// AckTimeout is how long to wait for each acknowledgement.
	AckTimeout time.Duration
	// SourcePorts picks the local port; AnyPort by default.
	SourcePorts SourcePorts
	// ControlFirst sends the control file before the data file. RFC 1179
	// allows either order; data first is what most clients do and what
	// every server takes, but a few old print servers want the control
	// file first.
	ControlFirst bool
	// Logger gets debug lines (the source port used); nil discards them.
	Logger *slog.Logger
}

// Send delivers a job of size document bytes read from doc to queue on the
// LPD server at addr ("host:port"; port 515 when missing). doc is streamed,
// never held in memory; it must hold exactly size bytes. Send returns the
// number of document bytes sent, and nil only once the server acknowledged
// the whole job.
func Send(ctx context.Context, addr, queue string, job Job, doc io.Reader, size int64, opt Options) (int64, error) {
	opt = opt.withDefaults()
	if queue == "" {
		queue = DefaultQueue
	}
	if !validQueue(queue) {
		return 0, fmt.Errorf("%w: %q", ErrBadQueue, queue)
	}
	if size < 0 {
		return 0, fmt.Errorf("lpr: negative document size %d", size)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, strconv.Itoa(DefaultPort))
	}
	conn, err := dial(ctx, addr, opt.SourcePorts, opt.DialTimeout)
	if err != nil {
		return 0, fmt.Errorf("lpr: connect %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	opt.Logger.Debug("lpr connected", "server", addr, "queue", queue, "local", conn.LocalAddr().String())

	s := &session{conn: conn, opt: opt}
	if err := s.command("receive job", "\x02"+queue+"\n"); err != nil {
		return 0, s.fail(ctx, addr, err)
	}
	dataName, controlName := job.fileName("dfA"), job.fileName("cfA")
	control := job.ControlFile(dataName)
	var sent int64
	sendData := func() error {
		var err error
		sent, err = s.dataFile(dataName, doc, size)
		return err
	}
	sendControl := func() error { return s.controlFile(controlName, control) }
	steps := []func() error{sendData, sendControl}
	if opt.ControlFirst {
		steps = []func() error{sendControl, sendData}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return sent, s.fail(ctx, addr, err)
		}
	}
	// The last acknowledgement is in: the server has the job, whatever the
	// context says now. Reporting failure here would print it twice.
	return sent, nil
}

// session is one connection's exchange, under its deadlines.
type session struct {
	conn net.Conn
	opt  Options
	buf  []byte
}

// fail prefers the context's error to the deadline it caused.
func (s *session) fail(ctx context.Context, addr string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("lpr: send to %s: %w", addr, ctx.Err())
	}
	return fmt.Errorf("lpr: send to %s: %w", addr, err)
}

// command writes a command or subcommand line and waits for its ack.
func (s *session) command(step, line string) error {
	if _, err := s.write([]byte(line)); err != nil {
		return fmt.Errorf("%s: %w", step, err)
	}
	return s.ack(step)
}

func (s *session) ack(step string) error {
	s.conn.SetReadDeadline(time.Now().Add(s.opt.AckTimeout))
	return readAck(s.conn, step)
}

func (s *session) write(p []byte) (int, error) {
	s.conn.SetWriteDeadline(time.Now().Add(s.opt.WriteTimeout))
	return s.conn.Write(p)
}

// dataFile sends subcommand 03, the document and the closing zero byte.
func (s *session) dataFile(name string, doc io.Reader, size int64) (int64, error) {
	if err := s.command("data file", fmt.Sprintf("\x03%d %s\n", size, name)); err != nil {
		return 0, err
	}
	if s.buf == nil {
		s.buf = make([]byte, copyBufferSize)
	}
	n, err := io.CopyBuffer(writerFunc(s.write), io.LimitReader(doc, size), s.buf)
	if err != nil {
		return n, fmt.Errorf("data file: %w", err)
	}
	if n < size {
		// Closing without the zero byte makes the server drop the job.
		return n, fmt.Errorf("data file: %w: %d of %d bytes", ErrShortDocument, n, size)
	}
	var extra [1]byte
	if m, _ := io.ReadFull(doc, extra[:]); m > 0 {
		return n, fmt.Errorf("data file: document longer than its size %d", size)
	}
	if _, err := s.write([]byte{0}); err != nil {
		return n, fmt.Errorf("data file: %w", err)
	}
	return n, s.ack("data file")
}

// controlFile sends subcommand 02, the control file and its zero byte.
func (s *session) controlFile(name string, control []byte) error {
	if err := s.command("control file", fmt.Sprintf("\x02%d %s\n", len(control), name)); err != nil {
		return err
	}
	if _, err := s.write(append(control[:len(control):len(control)], 0)); err != nil {
		return fmt.Errorf("control file: %w", err)
	}
	return s.ack("control file")
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = defaultDialTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = defaultWriteTimeout
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = defaultAckTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
