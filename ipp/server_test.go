package ipp

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/OpenPrinting/goipp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeprint/edgeprint/samplepdf"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{name: "good", edit: func(*Config) {}, ok: true},
		{name: "letter", edit: func(c *Config) { c.DefaultMedia = MediaLetter }, ok: true},
		{name: "no name", edit: func(c *Config) { c.Name = "" }},
		{name: "no uuid", edit: func(c *Config) { c.UUID = "" }},
		{name: "urn prefix", edit: func(c *Config) { c.UUID = "urn:uuid:" + testUUID }},
		{name: "negative size", edit: func(c *Config) { c.MaxDocumentSize = -1 }},
		{name: "unknown media", edit: func(c *Config) { c.DefaultMedia = "iso_a3_297x420mm" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.edit(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	for _, tc := range []struct {
		name       string
		auth       Authenticator
		op         goipp.Op
		user, pass string
		wantHTTP   int
		wantIPP    goipp.Status
		challenged bool
	}{
		{name: "print without credentials", op: goipp.OpPrintJob, wantHTTP: 401, wantIPP: goipp.StatusErrorNotAuthenticated, challenged: true},
		{name: "print with wrong password", op: goipp.OpPrintJob, user: "alice", pass: "nope", wantHTTP: 401, wantIPP: goipp.StatusErrorNotAuthenticated, challenged: true},
		{name: "validate without credentials", op: goipp.OpValidateJob, wantHTTP: 401, wantIPP: goipp.StatusErrorNotAuthenticated, challenged: true},
		{name: "validate with credentials", op: goipp.OpValidateJob, user: "alice", pass: "secret", wantHTTP: 200, wantIPP: goipp.StatusOk},
		{name: "printer attributes without credentials", op: goipp.OpGetPrinterAttributes, wantHTTP: 200, wantIPP: goipp.StatusOk},
		{name: "authenticator down", auth: testAuth{err: errRelayDown}, op: goipp.OpPrintJob, user: "alice", pass: "secret", wantHTTP: 200, wantIPP: goipp.StatusErrorServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth := tc.auth
			if auth == nil {
				auth = testAuth{}
			}
			sp := &testSpooler{}
			addr, _ := serveTest(t, newTestServer(t, testConfig(), auth, sp))
			var body []byte
			if tc.op == goipp.OpPrintJob {
				body = printJobBody(t, 7, "application/pdf", samplepdf.Page("edgeprint", 0))
			} else {
				body = encode(t, ippRequest(tc.op, 7, "ipp://localhost/ipp/print", nil, nil))
			}
			resp, m := post(t, http.DefaultClient, "http://"+addr+"/ipp/print", bytes.NewReader(body), tc.user, tc.pass)
			if resp.StatusCode != tc.wantHTTP {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tc.wantHTTP)
			}
			if got := status(m); got != tc.wantIPP {
				t.Errorf("IPP status %v, want %v", got, tc.wantIPP)
			}
			if got := resp.Header.Get("WWW-Authenticate"); tc.challenged && got != `Basic realm="edgeprint"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			if m != nil && m.RequestID != 7 {
				t.Errorf("request-id %d, want 7", m.RequestID)
			}
			if n := len(sp.spooled()); n != 0 {
				t.Errorf("spooled %d jobs", n)
			}
		})
	}
}

// A plain connection from another host never gets to offer credentials:
// 426 and an offer to upgrade, whatever the request carries.
func TestPlainFromNetworkNeedsTLS(t *testing.T) {
	sp := &testSpooler{}
	s := newTestServer(t, testConfig(), testAuth{}, sp)
	req := httptest.NewRequest(http.MethodPost, "/ipp/print", bytes.NewReader(printJobBody(t, 3, "application/pdf", samplepdf.Page("edgeprint", 0))))
	req.RemoteAddr = "192.0.2.7:50123"
	req.Header.Set("Content-Type", "application/ipp")
	req.SetBasicAuth("alice", "secret")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusUpgradeRequired {
		t.Fatalf("HTTP %d, want 426", rec.Code)
	}
	if got := rec.Header().Get("Upgrade"); !strings.HasPrefix(got, "TLS/") {
		t.Errorf("Upgrade %q", got)
	}
	if rec.Header().Get("WWW-Authenticate") != "" {
		t.Error("challenged for credentials over plain HTTP from the network")
	}
	if n := len(sp.spooled()); n != 0 {
		t.Errorf("spooled %d jobs", n)
	}

	// Open operations still work.
	req = httptest.NewRequest(http.MethodPost, "/ipp/print", bytes.NewReader(encode(t, ippRequest(goipp.OpGetPrinterAttributes, 4, "ipp://h/ipp/print", nil, nil))))
	req.RemoteAddr = "192.0.2.7:50124"
	req.Header.Set("Content-Type", "application/ipp")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if m := decodeRecorded(t, rec); rec.Code != 200 || status(m) != goipp.StatusOk {
		t.Errorf("Get-Printer-Attributes: HTTP %d, %v", rec.Code, status(m))
	}
}

func decodeRecorded(t *testing.T, rec *httptest.ResponseRecorder) *goipp.Message {
	t.Helper()
	if rec.Header().Get("Content-Type") != "application/ipp" {
		return nil
	}
	m := new(goipp.Message)
	if err := m.DecodeBytes(rec.Body.Bytes()); err != nil {
		t.Fatalf("answer does not decode: %v", err)
	}
	return m
}

// serveRecorded runs one request through s from 127.0.0.1.
func serveRecorded(t *testing.T, s *Server, body []byte, user string) (*httptest.ResponseRecorder, *goipp.Message) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/ipp/print", bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", "application/ipp")
	if user != "" {
		req.SetBasicAuth(user, "secret")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec, decodeRecorded(t, rec)
}

func TestBadRequests(t *testing.T) {
	op := func(attrs ...goipp.Attribute) *goipp.Message {
		return ippRequest(goipp.OpPrintJob, 9, "ipp://localhost/ipp/print", attrs, nil)
	}
	withVersion := func(m *goipp.Message, v goipp.Version) *goipp.Message { m.Version = v; return m }
	withID := func(m *goipp.Message, id uint32) *goipp.Message { m.RequestID = id; return m }
	noCharset := goipp.NewRequest(version20, goipp.OpGetPrinterAttributes, 9)
	noCharset.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String("ipp://h/ipp/print")))
	latin1 := ippRequest(goipp.OpGetPrinterAttributes, 9, "ipp://h/ipp/print", nil, nil)
	latin1.Operation[0].Values[0].V = goipp.String("iso-8859-1")
	good := encode(t, op())
	huge := encode(t, op())
	huge = huge[:len(huge)-1] // drop end-of-attributes
	for len(huge) < maxIPPHeaderBytes+10 {
		huge = append(huge, byte(goipp.TagName), 0, 1, 'x', 0x7f, 0xff)
		huge = append(huge, bytes.Repeat([]byte{'a'}, 0x7fff)...)
	}

	for _, tc := range []struct {
		name     string
		body     []byte
		wantHTTP int
		wantIPP  goipp.Status // 0xffff: no IPP body
		wantVer  goipp.Version
	}{
		{name: "garbage", body: []byte("GET / HTTP/1.1\r\n\r\n"), wantHTTP: 400, wantIPP: goipp.StatusErrorBadRequest, wantVer: version20},
		{name: "too short for a header", body: []byte{2, 0, 0}, wantHTTP: 400, wantIPP: 0xffff},
		{name: "truncated", body: good[:20], wantHTTP: 400, wantIPP: goipp.StatusErrorBadRequest, wantVer: version20},
		{name: "header over the cap", body: huge, wantHTTP: 413, wantIPP: goipp.StatusErrorRequestEntity, wantVer: version20},
		{name: "IPP 3.0", body: encode(t, withVersion(op(), goipp.MakeVersion(3, 0))), wantHTTP: 200, wantIPP: goipp.StatusErrorVersionNotSupported, wantVer: version20},
		{name: "IPP 1.0", body: encode(t, withVersion(op(), goipp.MakeVersion(1, 0))), wantHTTP: 200, wantIPP: goipp.StatusErrorVersionNotSupported, wantVer: version11},
		{name: "request-id 0", body: encode(t, withID(op(), 0)), wantHTTP: 200, wantIPP: goipp.StatusErrorBadRequest, wantVer: version20},
		{name: "no charset", body: encode(t, noCharset), wantHTTP: 200, wantIPP: goipp.StatusErrorBadRequest, wantVer: version20},
		{name: "latin-1", body: encode(t, latin1), wantHTTP: 200, wantIPP: goipp.StatusErrorCharset, wantVer: version20},
		{name: "no printer-uri", body: encode(t, ippRequest(goipp.OpPrintJob, 9, "", nil, nil)), wantHTTP: 200, wantIPP: goipp.StatusErrorBadRequest, wantVer: version20},
		{name: "compress", body: encode(t, op(goipp.MakeAttribute("compression", goipp.TagKeyword, goipp.String("compress")))), wantHTTP: 200, wantIPP: goipp.StatusErrorCompressionNotSupported, wantVer: version20},
		{name: "compression none", body: append(encode(t, op(goipp.MakeAttribute("compression", goipp.TagKeyword, goipp.String("none")))), samplepdf.Page("edgeprint", 0)...), wantHTTP: 200, wantIPP: goipp.StatusOk, wantVer: version20},
		{name: "no document", body: encode(t, op()), wantHTTP: 200, wantIPP: goipp.StatusErrorBadRequest, wantVer: version20},
		{name: "html", body: encode(t, op(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String("text/html")))), wantHTTP: 200, wantIPP: goipp.StatusErrorDocumentFormatNotSupported, wantVer: version20},
		{name: "format as integer", body: encode(t, op(goipp.MakeAttribute("document-format", goipp.TagInteger, goipp.Integer(1)))), wantHTTP: 200, wantIPP: goipp.StatusErrorBadRequest, wantVer: version20},
		{name: "long job name", body: encode(t, op(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String(strings.Repeat("n", 300))))), wantHTTP: 200, wantIPP: goipp.StatusErrorRequestValue, wantVer: version20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := &testSpooler{}
			s := newTestServer(t, testConfig(), testAuth{}, sp)
			rec, m := serveRecorded(t, s, tc.body, "alice")
			if rec.Code != tc.wantHTTP {
				t.Errorf("HTTP %d, want %d", rec.Code, tc.wantHTTP)
			}
			if got := status(m); got != tc.wantIPP {
				t.Fatalf("IPP status %v, want %v", got, tc.wantIPP)
			}
			if m == nil {
				return
			}
			if m.Version != tc.wantVer {
				t.Errorf("answered in IPP %v, want %v", m.Version, tc.wantVer)
			}
			checkResponseHead(t, m)
			if tc.wantIPP == goipp.StatusOk {
				return
			}
			if n := len(sp.spooled()); n != 0 {
				t.Errorf("spooled %d jobs for a bad request", n)
			}
		})
	}
}

// checkResponseHead checks the two attributes every response starts with.
func checkResponseHead(t *testing.T, m *goipp.Message) {
	t.Helper()
	if len(m.Operation) < 2 || m.Operation[0].Name != "attributes-charset" || m.Operation[1].Name != "attributes-natural-language" {
		t.Errorf("response does not start with attributes-charset and attributes-natural-language: %v", m.Operation)
	}
}

func TestUnsupportedOperations(t *testing.T) {
	s := newTestServer(t, testConfig(), testAuth{}, &testSpooler{})
	for _, op := range []goipp.Op{goipp.OpSendURI, goipp.OpPrintURI, goipp.OpPausePrinter, goipp.OpCupsGetPrinters, 0x3fff} {
		for _, v := range []goipp.Version{version11, version20} {
			t.Run(opLabel(op)+"/"+v.String(), func(t *testing.T) {
				m := ippRequest(op, 4242, "ipp://localhost/ipp/print", nil, nil)
				m.Version = v
				rec, resp := serveRecorded(t, s, encode(t, m), "")
				if rec.Code != 200 || status(resp) != goipp.StatusErrorOperationNotSupported {
					t.Fatalf("HTTP %d, IPP %v; want 200, server-error-operation-not-supported", rec.Code, status(resp))
				}
				if resp.RequestID != 4242 || resp.Version != v {
					t.Errorf("request-id %d version %v, want 4242 %v", resp.RequestID, resp.Version, v)
				}
				checkResponseHead(t, resp)
			})
		}
	}
}

func TestPrintJobAndGetJobAttributes(t *testing.T) {
	sp := &testSpooler{}
	s := newTestServer(t, testConfig(), testAuth{}, sp)
	doc := samplepdf.Page("edgeprint", 0)
	rec, m := serveRecorded(t, s, printJobBody(t, 1, "application/pdf", doc), "alice")
	if rec.Code != 200 || status(m) != goipp.StatusOk {
		t.Fatalf("Print-Job: HTTP %d, IPP %v", rec.Code, status(m))
	}
	for name, want := range map[string]string{
		"job-id":            "1",
		"job-uri":           "ipp://example.com/ipp/print/jobs/1", // httptest's Host
		"job-state":         "4",
		"job-state-reasons": "job-hold-until-specified",
	} {
		if a, ok := attr(m, name); !ok || a.Values.String() != want {
			t.Errorf("%s = %v, want %s", name, a.Values, want)
		}
	}
	calls := sp.spooled()
	if len(calls) != 1 || !bytes.Equal(calls[0].doc, doc) || calls[0].info.Name != "report.pdf" || calls[0].info.RequestingUser != "alice" {
		t.Fatalf("spooled %+v", calls)
	}

	gja := func(user string, attrs ...goipp.Attribute) (*httptest.ResponseRecorder, *goipp.Message) {
		return serveRecorded(t, s, encode(t, ippRequest(goipp.OpGetJobAttributes, 2, "", attrs, nil)), user)
	}
	byID := []goipp.Attribute{
		goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String("ipp://example.com/ipp/print")),
		goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(1)),
	}
	byURI := []goipp.Attribute{goipp.MakeAttribute("job-uri", goipp.TagURI, goipp.String("ipp://example.com/ipp/print/jobs/1"))}
	for _, tc := range []struct {
		name  string
		user  string
		attrs []goipp.Attribute
		want  goipp.Status
	}{
		{"owner by id", "alice", byID, goipp.StatusOk},
		{"owner by uri", "alice", byURI, goipp.StatusOk},
		{"someone else", "bob", byID, goipp.StatusErrorNotFound},
		{"no such job", "alice", byURI[:0:0], goipp.StatusErrorBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, m := gja(tc.user, tc.attrs...)
			if rec.Code != 200 || status(m) != tc.want {
				t.Fatalf("HTTP %d, IPP %v; want %v", rec.Code, status(m), tc.want)
			}
			if tc.want != goipp.StatusOk {
				return
			}
			if a, _ := attr(m, "job-state"); a.Values.String() != "4" {
				t.Errorf("job-state %v, want 4 (pending-held)", a.Values)
			}
			if a, _ := attr(m, "job-originating-user-name"); a.Values.String() != alice.Email {
				t.Errorf("job-originating-user-name %v", a.Values)
			}
		})
	}
	if rec, _ := gja(""); rec.Code != 401 {
		t.Errorf("Get-Job-Attributes without credentials: HTTP %d, want 401", rec.Code)
	}
}

func TestGetPrinterAttributes(t *testing.T) {
	s := newTestServer(t, testConfig(), testAuth{}, &testSpooler{})
	names := func(requested ...string) []string {
		t.Helper()
		var attrs []goipp.Attribute
		if requested != nil {
			a := goipp.Attribute{Name: "requested-attributes"}
			for _, r := range requested {
				a.Values.Add(goipp.TagKeyword, goipp.String(r))
			}
			attrs = append(attrs, a)
		}
		rec, m := serveRecorded(t, s, encode(t, ippRequest(goipp.OpGetPrinterAttributes, 5, "ipp://h/ipp/print", attrs, nil)), "")
		if rec.Code != 200 || status(m) != goipp.StatusOk {
			t.Fatalf("HTTP %d, IPP %v", rec.Code, status(m))
		}
		var out []string
		for _, a := range m.Printer {
			out = append(out, a.Name)
		}
		return out
	}
	all := names()
	for _, want := range []string{"printer-uri-supported", "uri-security-supported", "uri-authentication-supported", "printer-name",
		"printer-make-and-model", "printer-state", "printer-state-reasons", "printer-is-accepting-jobs", "ipp-versions-supported",
		"operations-supported", "document-format-supported", "printer-uuid", "queued-job-count", "job-hold-until-default",
		"media-col-default", "multiple-document-jobs-supported", "printer-up-time", "compression-supported", "pdl-override-supported"} {
		if !slices.Contains(all, want) {
			t.Errorf("all: no %s", want)
		}
	}
	if got := names("all", "media-col-database"); !slices.Equal(got, all) {
		t.Errorf("all,media-col-database = %v", got)
	}
	if got := names("printer-name", "printer-uuid"); !slices.Equal(got, []string{"printer-name", "printer-uuid"}) {
		t.Errorf("by name = %v", got)
	}
	if got := names("job-template"); !slices.Contains(got, "job-hold-until-supported") || slices.Contains(got, "printer-name") {
		t.Errorf("job-template = %v", got)
	}
	if got := names("printer-description"); !slices.Contains(got, "printer-name") || slices.Contains(got, "copies-default") {
		t.Errorf("printer-description = %v", got)
	}

	rec, m := serveRecorded(t, s, encode(t, ippRequest(goipp.OpGetPrinterAttributes, 5, "ipp://h/ipp/print", nil, nil)), "")
	_ = rec
	for name, want := range map[string]string{
		"printer-uuid":         "urn:uuid:" + testUUID,
		"operations-supported": "[2,4,5,6,8,9,10,11,12,13,57,59,60]",
		"printer-state":        "3",
		"printer-name":         "Acme HQ Secure Print",
	} {
		if a, ok := attr(m, name); !ok || a.Values.String() != want {
			t.Errorf("%s = %v, want %s", name, a.Values, want)
		}
	}
}

// Over TLS the queue names its ipps URI first, with its security.
func TestPrinterURIsFollowTheConnection(t *testing.T) {
	addr, _ := serveTest(t, newTestServer(t, testConfig(), testAuth{}, &testSpooler{}))
	body := encode(t, ippRequest(goipp.OpGetPrinterAttributes, 5, "ipps://h/ipp/print", []goipp.Attribute{
		goipp.MakeAttribute("requested-attributes", goipp.TagKeyword, goipp.String("printer-uri-supported")),
	}, nil))
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, tc := range []struct{ url, want string }{
		{"https://" + addr + "/ipp/print", "[ipps://" + addr + "/ipp/print,ipp://" + addr + "/ipp/print]"},
		{"http://" + addr + "/ipp/print", "[ipp://" + addr + "/ipp/print,ipps://" + addr + "/ipp/print]"},
	} {
		_, m := post(t, insecure, tc.url, bytes.NewReader(body), "", "")
		if a, _ := attr(m, "printer-uri-supported"); a.Values.String() != tc.want {
			t.Errorf("%s: printer-uri-supported %v, want %s", tc.url, a.Values, tc.want)
		}
	}
}

// A request that does not decode gets its IPP error while a good Print-Job
// streaming at the same time completes.
func TestGarbageBesideGoodJob(t *testing.T) {
	sp := &testSpooler{}
	addr, _ := serveTest(t, newTestServer(t, testConfig(), testAuth{}, sp))
	url := "http://" + addr + "/ipp/print"
	doc := bytes.Repeat(samplepdf.Page("edgeprint", 0), 200)

	pr, pw := io.Pipe()
	type result struct {
		code int
		m    *goipp.Message
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, m, err := postE(t.Context(), http.DefaultClient, url, pr, "alice", "secret")
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{resp.StatusCode, m, nil}
	}()
	head := printJobBody(t, 77, "application/pdf", nil)
	if _, err := pw.Write(append(head, doc[:1000]...)); err != nil {
		t.Fatal(err)
	}

	garbage := [][]byte{
		[]byte("\x02\x00\x00\x02\x00\x00\x00\x05\x01\x47\xff\xff"), // attribute longer than the body
		[]byte("\x02\x00\x00\x0b\x00\x00\x00\x06\x00"),             // tag 0
		bytes.Repeat([]byte{0xff}, 64),
	}
	for i, g := range garbage {
		resp, m := post(t, http.DefaultClient, url, bytes.NewReader(g), "alice", "secret")
		if resp.StatusCode != http.StatusBadRequest || status(m) != goipp.StatusErrorBadRequest {
			t.Errorf("garbage %d: HTTP %d, IPP %v; want 400, client-error-bad-request", i, resp.StatusCode, status(m))
		}
	}

	if _, err := pw.Write(doc[1000:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.code != 200 || status(r.m) != goipp.StatusOk || r.m.RequestID != 77 {
		t.Fatalf("good job: HTTP %d, IPP %v", r.code, status(r.m))
	}
	calls := sp.spooled()
	if len(calls) != 1 || !bytes.Equal(calls[0].doc, doc) {
		t.Fatalf("spooled %d jobs; the document must arrive whole", len(calls))
	}
}

func TestDocumentTooLarge(t *testing.T) {
	cfg := testConfig()
	cfg.MaxDocumentSize = 1024
	doc := bytes.Repeat([]byte("%PDF-1.4 big "), 5000)

	t.Run("streamed", func(t *testing.T) {
		sp := &testSpooler{}
		s := newTestServer(t, cfg, testAuth{}, sp)
		addr, _ := serveTest(t, s)
		// A reader of unknown length: sent chunked, so only streaming
		// finds out.
		body := io.MultiReader(bytes.NewReader(printJobBody(t, 8, "application/pdf", nil)), bytes.NewReader(doc))
		resp, m := post(t, http.DefaultClient, "http://"+addr+"/ipp/print", struct{ io.Reader }{body}, "alice", "secret")
		if resp.StatusCode != 200 || status(m) != goipp.StatusErrorRequestEntity {
			t.Fatalf("HTTP %d, IPP %v; want client-error-request-entity-too-large", resp.StatusCode, status(m))
		}
		calls := sp.spooled()
		if len(calls) != 1 || !errors.Is(calls[0].err, ErrDocumentTooLarge) {
			t.Fatalf("spooler saw %+v; want one call that read ErrDocumentTooLarge", calls)
		}
		if len(calls[0].doc) != 1024 {
			t.Errorf("spooler read %d bytes, want the 1024 allowed", len(calls[0].doc))
		}
		if n := s.queuedJobs(); n != 0 {
			t.Errorf("%d jobs remembered", n)
		}
	})
	t.Run("exactly the limit", func(t *testing.T) {
		sp := &testSpooler{}
		s := newTestServer(t, cfg, testAuth{}, sp)
		rec, m := serveRecorded(t, s, printJobBody(t, 8, "application/pdf", doc[:1024]), "alice")
		if rec.Code != 200 || status(m) != goipp.StatusOk {
			t.Fatalf("HTTP %d, IPP %v", rec.Code, status(m))
		}
	})
	t.Run("content-length", func(t *testing.T) {
		sp := &testSpooler{}
		s := newTestServer(t, cfg, testAuth{}, sp)
		rec, m := serveRecorded(t, s, printJobBody(t, 8, "application/pdf", doc), "alice")
		if rec.Code != 200 || status(m) != goipp.StatusErrorRequestEntity {
			t.Fatalf("HTTP %d, IPP %v; want client-error-request-entity-too-large", rec.Code, status(m))
		}
		if n := len(sp.spooled()); n != 0 {
			t.Errorf("spooled %d jobs", n)
		}
	})
}

// The client hears about its job only once the Spooler says it is durable.
func TestResponseAfterSpool(t *testing.T) {
	sp := &testSpooler{read: make(chan struct{}, 1), gate: make(chan struct{})}
	addr, _ := serveTest(t, newTestServer(t, testConfig(), testAuth{}, sp))
	answered := make(chan *goipp.Message, 1)
	body := printJobBody(t, 9, "application/pdf", samplepdf.Page("edgeprint", 0))
	go func() {
		_, m, err := postE(t.Context(), http.DefaultClient, "http://"+addr+"/ipp/print", bytes.NewReader(body), "alice", "secret")
		if err != nil {
			t.Error(err)
		}
		answered <- m
	}()
	select {
	case <-sp.read:
	case <-time.After(10 * time.Second):
		t.Fatal("the spooler never got the document")
	}
	// The spooler has the whole document and has not returned: nothing
	// may reach the client, however long we wait.
	select {
	case <-answered:
		t.Fatal("the client got an answer before Spool returned")
	case <-time.After(200 * time.Millisecond):
	}
	close(sp.gate)
	select {
	case m := <-answered:
		if status(m) != goipp.StatusOk {
			t.Fatalf("IPP %v", status(m))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer after Spool returned")
	}
}

func TestSpoolFailure(t *testing.T) {
	s := newTestServer(t, testConfig(), testAuth{}, &testSpooler{failed: errors.New("disk full")})
	rec, m := serveRecorded(t, s, printJobBody(t, 8, "application/pdf", samplepdf.Page("edgeprint", 0)), "alice")
	if rec.Code != 200 || status(m) != goipp.StatusErrorInternal {
		t.Fatalf("HTTP %d, IPP %v; want server-error-internal-error", rec.Code, status(m))
	}
	if n := s.queuedJobs(); n != 0 {
		t.Errorf("%d jobs remembered", n)
	}
}

func TestPage(t *testing.T) {
	cfg := testConfig()
	cfg.Name = "R&D <Secure> Print"
	s := newTestServer(t, cfg, testAuth{}, &testSpooler{})
	for _, path := range []string{"/", "/ipp/print"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "R&amp;D &lt;Secure&gt; Print") {
			t.Errorf("GET %s: %d %q", path, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if rec.Code != 404 {
		t.Errorf("GET /admin: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/ipp/print", nil))
	if rec.Code != 405 {
		t.Errorf("PUT: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/ipp/print", strings.NewReader("hello"))
	req.Header.Set("Content-Type", "text/plain")
	s.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Errorf("POST text/plain: %d", rec.Code)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	cfg.Metrics = NewMetrics(reg)
	s := newTestServer(t, cfg, testAuth{}, &testSpooler{})
	doc := samplepdf.Page("edgeprint", 0)
	serveRecorded(t, s, printJobBody(t, 1, "application/pdf", doc), "alice")
	serveRecorded(t, s, printJobBody(t, 2, "application/pdf", doc), "")
	serveRecorded(t, s, encode(t, ippRequest(0x3fff, 3, "ipp://h/ipp/print", nil, nil)), "")

	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			got[key] = m.GetCounter().GetValue()
		}
	}
	for key, want := range map[string]float64{
		"edgeprint_ipp_requests_total,operation=Print-Job,status=successful-ok":                      1,
		"edgeprint_ipp_requests_total,operation=Print-Job,status=http-401":                           1,
		"edgeprint_ipp_requests_total,operation=unknown,status=server-error-operation-not-supported": 1,
		"edgeprint_ipp_document_bytes_total":                                                         float64(len(doc)),
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v (all: %v)", key, got[key], want, got)
		}
	}
}

// Jobs are remembered up to a bound, oldest forgotten first.
func TestMemoryJobsBound(t *testing.T) {
	j := NewMemoryJobs(3)
	for n := 1; n <= 5; n++ {
		_ = j.Added(t.Context(), JobStatus{Job: Job{Number: n}, State: JobHeld})
	}
	if j.count() != 3 {
		t.Fatalf("count %d", j.count())
	}
	for n, want := range map[int]bool{1: false, 2: false, 3: true, 5: true} {
		if _, err := j.Job(t.Context(), n); (err == nil) != want {
			t.Errorf("job %d remembered: %v", n, err == nil)
		}
	}
}

// concurrent print jobs from several users all land, each with its owner.
func TestConcurrentPrintJobs(t *testing.T) {
	sp := &testSpooler{}
	addr, _ := serveTest(t, newTestServer(t, testConfig(), testAuth{}, sp))
	var bodies [8][]byte
	for i := range bodies {
		bodies[i] = printJobBody(t, uint32(i+1), "application/pdf", binary.BigEndian.AppendUint32(samplepdf.Page("edgeprint", 0), uint32(i)))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			user := []string{"alice", "bob"}[i%2]
			resp, m, err := postE(t.Context(), http.DefaultClient, "http://"+addr+"/ipp/print", bytes.NewReader(bodies[i]), user, "secret")
			if err != nil {
				t.Error(err)
				return
			}
			if resp.StatusCode != 200 || status(m) != goipp.StatusOk {
				t.Errorf("job %d: HTTP %d, IPP %v", i, resp.StatusCode, status(m))
			}
		})
	}
	wg.Wait()
	if n := len(sp.spooled()); n != 8 {
		t.Errorf("spooled %d jobs, want 8", n)
	}
}
