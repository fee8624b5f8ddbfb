package cardreader

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Reader models, as the relay names them.
const (
	ElatecTCPConv  = "elatec-tcpconv"
	ElatecTCPConv2 = "elatec-tcpconv2"
	RFIDeas241     = "rfideas-241"
)

const (
	// maxLine bounds one line; real card numbers are under 40 characters.
	maxLine = 256
	// idleTimeout drops readers that went away without closing; readers
	// reconnect on their own.
	idleTimeout = 30 * time.Minute
	// maxConns bounds concurrent readers per listener.
	maxConns = 4096
	// maxBadLines is how many lines in a row a connection may send that are
	// not card numbers (banners, prompts, noise) before it is dropped; a
	// real reader reconnects, a stuck or hostile one stops costing work.
	maxBadLines = 64
	// replyTimeout bounds writing a feedback command to a reader.
	replyTimeout = 2 * time.Second
	// handshakeTimeout bounds the TLS handshake of a reader (or its
	// terminator) on a TLS listener.
	handshakeTimeout = 10 * time.Second
)

// Swipe is one card read.
type Swipe struct {
	Model  string     // reader model of the listener that got it
	Reader netip.Addr // the reader's address
	Card   string     // the card number as the reader sent it, trimmed
	// Reply writes the model's command for f back to the reader on the
	// connection the swipe came on; it does nothing if the model takes no
	// commands or the connection is gone. Safe to call from any goroutine.
	Reply func(f Feedback)
}

// Handler acts on a swipe. It runs in the connection's goroutine, so a slow
// release holds back only that reader.
type Handler func(ctx context.Context, s Swipe)

// Listener serves one reader model on one port.
type Listener struct {
	Model   string
	Handler Handler
	Logger  *slog.Logger
	// Allow, if set, is asked for every new connection: readers are told
	// apart by address, so one from an address no reader is configured at
	// is closed before it sends anything.
	Allow func(netip.Addr) bool

	refusedMu sync.Mutex
	refused   map[netip.Addr]bool // addresses already logged as refused
}

// logRefused logs a refused address at warn the first time and at debug
// after, so a misconfigured reader reconnecting all day logs once.
func (l *Listener) logRefused(c net.Conn) {
	a := peerAddr(c)
	l.refusedMu.Lock()
	seen := l.refused[a]
	if l.refused == nil {
		l.refused = map[netip.Addr]bool{}
	}
	if len(l.refused) < maxConns {
		l.refused[a] = true
	}
	l.refusedMu.Unlock()
	level := slog.LevelWarn
	if seen {
		level = slog.LevelDebug
	}
	l.Logger.Log(context.Background(), level, "card reader refused: no reader configured at this address", "reader", c.RemoteAddr(), "model", l.Model)
}

// Serve accepts reader connections on ln until ctx is done, then closes them
// and waits for their handlers.
func (l *Listener) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxConns)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("cardreader: accept: %w", err)
		}
		if l.Allow != nil && !l.Allow(peerAddr(conn)) {
			l.logRefused(conn)
			conn.Close()
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			l.Logger.Warn("card reader refused: too many connections", "reader", conn.RemoteAddr())
			conn.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l.serveConn(ctx, conn)
		}()
	}
}

func (l *Listener) serveConn(ctx context.Context, conn net.Conn) {
	serveConn(ctx, conn, l.Model, l.Handler, l.Logger)
}

// serveConn reads swipes from one reader connection, accepted or dialled,
// until it fails, idles out or ctx ends.
func serveConn(ctx context.Context, conn net.Conn, model string, h Handler, logger *slog.Logger) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	addr := peerAddr(conn)
	log := logger.With("reader", addr, "model", model)
	if tc, ok := conn.(*tls.Conn); ok {
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			log.Warn("card reader TLS handshake failed", "err", err)
			return
		}
	}
	reply := replier(conn, Models[model])
	r := bufio.NewReaderSize(conn, maxLine)
	bad := 0
	for {
		conn.SetReadDeadline(time.Now().Add(idleTimeout))
		line, err := readLine(r)
		if errors.Is(err, errLineTooLong) {
			log.Warn("card reader line too long, dropped")
			if bad++; bad > maxBadLines {
				log.Warn("card reader sends only noise, connection dropped")
				return
			}
			continue
		}
		if err != nil {
			return
		}
		card, ok := Clean(line)
		if !ok {
			if line != "" {
				log.Debug("card reader sent noise", "bytes", len(line))
				if bad++; bad > maxBadLines {
					log.Warn("card reader sends only noise, connection dropped")
					return
				}
			}
			continue
		}
		bad = 0
		h(ctx, Swipe{Model: model, Reader: addr, Card: card, Reply: reply})
	}
}

// replier returns a Swipe.Reply for conn: writes are serialised and bounded
// by replyTimeout, and their errors ignored (the read loop sees a dead
// connection).
func replier(conn net.Conn, m Model) func(Feedback) {
	var mu sync.Mutex
	return func(f Feedback) {
		cmd := m.Command(f)
		if len(cmd) == 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(replyTimeout))
		conn.Write(cmd)
	}
}

var errLineTooLong = errors.New("cardreader: line too long")

// readLine returns the next line ended by CR, LF or CRLF (an empty line
// between CR and LF is dropped by the caller as noise). A line longer than
// maxLine is consumed up to its end and reported as errLineTooLong.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	long := false
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\r' || c == '\n' {
			if long {
				return "", errLineTooLong
			}
			return b.String(), nil
		}
		if b.Len() >= maxLine {
			long = true
			continue
		}
		b.WriteByte(c)
	}
}

// Clean trims a line and reports whether it can be a card number: printable
// ASCII letters, digits and the separators and labels some readers add
// (" :-_=;,.#/"), at least two characters, and either a digit somewhere or
// nothing but hex digits, so banners and prompts ("RF IDeas ready") are
// noise. Letters are upper-cased so hex reads compare equal.
func Clean(line string) (string, bool) {
	s := strings.TrimSpace(line)
	if len(s) < 2 {
		return "", false
	}
	digit, hexOnly := false, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		isDec := c >= '0' && c <= '9'
		isHex := isDec || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		ok := isHex || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte(" :-_=;,.#/", c) >= 0
		if !ok {
			return "", false
		}
		digit = digit || isDec
		hexOnly = hexOnly && isHex
	}
	if !digit && !hexOnly {
		return "", false
	}
	return strings.ToUpper(s), true
}

func peerAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
