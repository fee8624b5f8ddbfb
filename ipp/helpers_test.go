package ipp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/OpenPrinting/goipp"

	"github.com/edgeprint/edgeprint/certs"
)

const testUUID = "6f1c2a3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b"

var alice = User{ID: "u-alice", Email: "alice@example.com", Name: "Alice"}

// testAuth knows alice/secret, or fails every check with err when set.
type testAuth struct{ err error }

func (a testAuth) Authenticate(_ context.Context, username, password string) (User, error) {
	if a.err != nil {
		return User{}, a.err
	}
	if username == "alice" && password == "secret" {
		return alice, nil
	}
	if username == "bob" && password == "secret" {
		return User{ID: "u-bob", Email: "bob@example.com", Name: "Bob"}, nil
	}
	return User{}, fmt.Errorf("test: %w", ErrUnauthorized)
}

// spooled is one Spool call as the test spooler saw it.
type spooled struct {
	info JobInfo
	doc  []byte
	err  error // from reading the document
}

// testSpooler records every Spool call. If gate is set, Spool reports on
// reading (after EOF) and then waits for gate before returning.
type testSpooler struct {
	mu     sync.Mutex
	calls  []spooled
	next   int
	read   chan struct{} // when set, gets a value once the document is read
	gate   chan struct{} // when set, Spool waits on it before returning
	failed error         // when set, Spool fails with it after reading
}

func (s *testSpooler) Spool(ctx context.Context, info JobInfo, doc io.Reader) (Job, error) {
	b, err := io.ReadAll(doc)
	s.mu.Lock()
	s.calls = append(s.calls, spooled{info: info, doc: b, err: err})
	s.next++
	n := s.next
	if info.Number > 0 {
		n = info.Number
	}
	s.mu.Unlock()
	if s.read != nil {
		s.read <- struct{}{}
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return Job{}, ctx.Err()
		}
	}
	if err != nil {
		return Job{}, fmt.Errorf("test spool: %w", err)
	}
	if s.failed != nil {
		return Job{}, s.failed
	}
	return Job{ID: fmt.Sprintf("job-%d", n), Number: n}, nil
}

func (s *testSpooler) spooled() []spooled {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]spooled(nil), s.calls...)
}

func testConfig() Config {
	return Config{Name: "Acme HQ Secure Print", UUID: testUUID, Location: "HQ, 2nd floor"}
}

func newTestServer(t *testing.T, cfg Config, auth Authenticator, sp Spooler) *Server {
	t.Helper()
	return NewServer(cfg, auth, sp, testLogger(t))
}

// testLogger keeps the server's log and shows it when the test fails.
// It does not write through t: server goroutines may log after the test.
func testLogger(t *testing.T) *slog.Logger {
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("server log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// serveTest runs s behind Serve on 127.0.0.1 with a fresh self-signed
// certificate and returns the address and the certificate (PEM).
func serveTest(t *testing.T, h http.Handler) (addr string, certPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := certs.SelfSigned("edgeprint test", nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, &tls.Config{Certificates: []tls.Certificate{cert}}, h, testLogger(t)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(drainTimeout + 5*time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return ln.Addr().String(), certPEM
}

// ippRequest builds an IPP request with the usual first attributes, then
// attrs in the operation group and job in the job group.
func ippRequest(op goipp.Op, id uint32, printerURI string, attrs []goipp.Attribute, job []goipp.Attribute) *goipp.Message {
	m := goipp.NewRequest(version20, op, id)
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	if printerURI != "" {
		m.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(printerURI)))
	}
	for _, a := range attrs {
		m.Operation.Add(a)
	}
	for _, a := range job {
		m.Job.Add(a)
	}
	return m
}

func encode(t testing.TB, m *goipp.Message) []byte {
	t.Helper()
	b, err := m.EncodeBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func printJobBody(t testing.TB, id uint32, format string, doc []byte) []byte {
	t.Helper()
	m := ippRequest(goipp.OpPrintJob, id, "ipp://localhost/ipp/print", []goipp.Attribute{
		goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String("alice")),
		goipp.MakeAttribute("job-name", goipp.TagName, goipp.String("report.pdf")),
		goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String(format)),
	}, nil)
	return append(encode(t, m), doc...)
}

// post sends an IPP body and decodes the IPP answer, if any.
func post(t *testing.T, client *http.Client, url string, body io.Reader, user, pass string) (*http.Response, *goipp.Message) {
	t.Helper()
	resp, m, err := postE(t.Context(), client, url, body, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	return resp, m
}

// postE is post for goroutines other than the test's.
func postE(ctx context.Context, client *http.Client, url string, body io.Reader, user, pass string) (*http.Response, *goipp.Message, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/ipp")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.Header.Get("Content-Type") != "application/ipp" {
		return resp, nil, nil
	}
	m := new(goipp.Message)
	if err := m.DecodeBytes(b); err != nil {
		return nil, nil, fmt.Errorf("answer does not decode: %w", err)
	}
	return resp, m, nil
}

func status(m *goipp.Message) goipp.Status {
	if m == nil {
		return 0xffff
	}
	return goipp.Status(m.Code)
}

// attr finds an attribute by name in any group.
func attr(m *goipp.Message, name string) (goipp.Attribute, bool) {
	for _, g := range m.AttrGroups() {
		for _, a := range g.Attrs {
			if a.Name == name {
				return a, true
			}
		}
	}
	return goipp.Attribute{}, false
}

var errRelayDown = errors.New("relay unreachable")
