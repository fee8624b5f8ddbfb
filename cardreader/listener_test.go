package cardreader

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/tunnel"
)

var tunnelBackoffForTest = tunnel.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond}

func startListener(t *testing.T) (addr string, swipes <-chan Swipe) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Swipe, 1000)
	l := &Listener{Model: ElatecTCPConv, Logger: slog.New(slog.DiscardHandler),
		Handler: func(_ context.Context, s Swipe) { ch <- s }}
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { l.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), ch
}

func TestFramingAndNoise(t *testing.T) {
	addr, swipes := startListener(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	input := "Elatec TCPConv ready\x00\x01\r\n" + // banner with binary noise
		strings.Repeat("9", 5000) + "\n" + // oversized line
		"\r\n" +
		"  04a1b2c3\r\n" + // CRLF, spaces, lower-case hex
		"1234567890\n" + // LF
		"55667788\r" // CR
	if _, err := c.Write([]byte(input)); err != nil {
		t.Fatal(err)
	}
	want := []string{"04A1B2C3", "1234567890", "55667788"}
	for _, w := range want {
		select {
		case s := <-swipes:
			if s.Card != w || s.Reader.String() != "127.0.0.1" || s.Model != ElatecTCPConv {
				t.Fatalf("swipe %+v, want card %s from 127.0.0.1", s, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no swipe for %s", w)
		}
	}
	select {
	case s := <-swipes:
		t.Fatalf("unexpected swipe %+v", s)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestManyReadersAtOnce(t *testing.T) {
	addr, swipes := startListener(t)
	const readers, each = 50, 20
	var wg sync.WaitGroup
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			w := bufio.NewWriter(c)
			for j := range each {
				fmt.Fprintf(w, "%04d%04d\r\n", i, j)
			}
			w.Flush()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for range readers * each {
		select {
		case s := <-swipes:
			seen[s.Card] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d of %d swipes", len(seen), readers*each)
		}
	}
	if len(seen) != readers*each {
		t.Fatalf("got %d distinct swipes, want %d", len(seen), readers*each)
	}
}

func FuzzReadLine(f *testing.F) {
	for _, s := range []string{"1234\r\n", "\r\r\n\n", strings.Repeat("A", 300) + "\n1\n", "\x00\xff\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := bufio.NewReaderSize(strings.NewReader(in), maxLine)
		for {
			line, err := readLine(r)
			if err == errLineTooLong {
				continue
			}
			if err != nil {
				return
			}
			if len(line) > maxLine || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad line %q", line)
			}
			if card, ok := Clean(line); ok && (card != strings.ToUpper(card) || len(card) < 2) {
				t.Fatalf("bad card %q", card)
			}
		}
	})
}

// TestDialerRedials: a reader in server mode is dialled, its swipes read,
// and once it drops the connection it is dialled again.
func TestDialerRedials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	swipes := make(chan Swipe, 10)
	ctx, cancel := context.WithCancel(t.Context())
	d := &Dialer{Model: RFIDeas241, Addr: ln.Addr().String(), Logger: slog.New(slog.DiscardHandler),
		Backoff: tunnelBackoffForTest, Handler: func(_ context.Context, s Swipe) { swipes <- s }}
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i, card := range []string{"1111", "2222"} {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "RF IDeas banner\r%s\r", card)
		select {
		case s := <-swipes:
			if s.Card != card || s.Model != RFIDeas241 {
				t.Fatalf("connection %d: swipe %+v", i, s)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("connection %d: no swipe", i)
		}
		c.Close() // the reader reboots; the agent must dial again
	}
}

// TestFeedbackAndAllow: Reply writes the model's command back on the same
// connection, and an address that is not allowed is closed at once.
func TestFeedbackAndAllow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{Model: ElatecTCPConv2, Logger: slog.New(slog.DiscardHandler),
		Allow: func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") },
		Handler: func(_ context.Context, s Swipe) {
			if s.Card == "BAD1" {
				s.Reply(FeedbackError)
			} else {
				s.Reply(FeedbackOK)
			}
		}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { l.Serve(ctx, ln); close(done) }()
	defer func() { cancel(); <-done }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GOOD1\r\nBAD1\r\n")
	buf := make([]byte, 2)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "be" {
		t.Fatalf("feedback %q, %v; want \"be\"", buf, err)
	}

	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	c2, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Skip("cannot bind 127.0.0.2:", err)
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(buf); err != io.EOF {
		t.Fatalf("connection from an unknown address: read %v, want EOF", err)
	}
}

// TestTLSListener: on a TLS listener (RF IDeas behind a terminator) a TLS
// peer's swipes are read; a plain one fails the handshake and sends none.
func TestTLSListener(t *testing.T) {
	cert, err := certs.LoadOrCreate("", "", t.TempDir(), "agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := tls.NewListener(raw, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	swipes := make(chan Swipe, 10)
	l := &Listener{Model: RFIDeas241, Logger: slog.New(slog.DiscardHandler), Handler: func(_ context.Context, s Swipe) { swipes <- s }}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { l.Serve(ctx, ln); close(done) }()
	defer func() { cancel(); <-done }()

	plain, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(plain, "11112222\r\n")
	defer plain.Close()
	c, err := tls.Dial("tcp", raw.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "33334444\r\n")
	select {
	case s := <-swipes:
		if s.Card != "33334444" {
			t.Fatalf("swipe %+v, want only the TLS peer's", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no swipe over TLS")
	}
	select {
	case s := <-swipes:
		t.Fatalf("plain peer's swipe read: %+v", s)
	case <-time.After(100 * time.Millisecond):
	}
}
