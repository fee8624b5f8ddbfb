package ipp

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// whichTransport answers "tls" or "plain".
var whichTransport = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.TLS != nil {
		io.WriteString(w, "tls")
		return
	}
	io.WriteString(w, "plain")
})

func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServeSniffsTLSAndPlain(t *testing.T) {
	addr, _ := serveTest(t, whichTransport)

	// A client that connects and says nothing holds up no one.
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	if got := get(t, "http://"+addr+"/"); got != "plain" {
		t.Errorf("http:// served as %q", got)
	}
	if got := get(t, "https://"+addr+"/"); got != "tls" {
		t.Errorf("https:// served as %q", got)
	}
}

func TestServeWithoutTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, nil, whichTransport, testLogger(t)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	addr := ln.Addr().String()
	if got := get(t, "http://"+addr+"/"); got != "plain" {
		t.Errorf("http:// served as %q", got)
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		conn.Close()
		t.Error("TLS handshake succeeded on a listener without TLS")
	}
}

// The RFC 2817 upgrade, as CUPS does it after a 426.
func TestUpgradeToTLS(t *testing.T) {
	s := newTestServer(t, testConfig(), testAuth{}, &testSpooler{})
	addr, _ := serveTest(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "OPTIONS * HTTP/1.1\r\nHost: "+addr+"\r\nConnection: Upgrade\r\nUpgrade: TLS/1.2,TLS/1.1,TLS/1.0\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("OPTIONS with Upgrade: %s", resp.Status)
	}
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tr := bufio.NewReader(tc)
	// The answer to the OPTIONS request comes over TLS.
	if resp, err := http.ReadResponse(tr, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("OPTIONS answer over TLS: %v %v", resp, err)
	}
	io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	resp, err = http.ReadResponse(tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "ipps://") {
		t.Errorf("page after the upgrade does not name the ipps URI: %s", b)
	}
}

// Shutdown lets a request in flight finish, then Serve returns.
func TestServeDrainsOnShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, nil, h, testLogger(t)) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		t.Fatalf("Serve returned with a request in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if g := <-got; g != "done" {
		t.Errorf("request in flight got %q", g)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("listener still open after Serve returned")
	}
}
