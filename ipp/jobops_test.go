package ipp

import (
	"bytes"
	"compress/gzip"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/OpenPrinting/goipp"

	"github.com/edgeprint/edgeprint/samplepdf"
)

func jobOp(op goipp.Op, number int, attrs ...goipp.Attribute) *goipp.Message {
	return ippRequest(op, 11, "ipp://localhost/ipp/print",
		append([]goipp.Attribute{goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(number))}, attrs...), nil)
}

// Users see, cancel, hold and release only their own jobs; to anyone else
// a job does not exist.
func TestJobsArePrivate(t *testing.T) {
	jobs := NewMemoryJobs(10)
	cfg := testConfig()
	cfg.Jobs = jobs
	s := newTestServer(t, cfg, testAuth{}, &testSpooler{})
	if _, m := serveRecorded(t, s, printJobBody(t, 1, "application/pdf", samplepdf.Page("edgeprint", 0)), "alice"); status(m) != goipp.StatusOk {
		t.Fatalf("Print-Job: %v", status(m))
	}
	for _, op := range []goipp.Op{goipp.OpGetJobAttributes, goipp.OpCancelJob, goipp.OpHoldJob, goipp.OpReleaseJob, goipp.OpCloseJob, goipp.OpSendDocument} {
		_, m := serveRecorded(t, s, encode(t, jobOp(op, 1, goipp.MakeAttribute("last-document", goipp.TagBoolean, goipp.Boolean(true)))), "bob")
		if status(m) != goipp.StatusErrorNotFound {
			t.Errorf("%v by bob on alice's job: %v, want client-error-not-found", op, status(m))
		}
	}
	_, m := serveRecorded(t, s, encode(t, ippRequest(goipp.OpGetJobs, 12, "ipp://localhost/ipp/print", []goipp.Attribute{
		goipp.MakeAttribute("my-jobs", goipp.TagBoolean, goipp.Boolean(false)),
	}, nil)), "bob")
	if status(m) != goipp.StatusOk || len(m.Job) != 0 {
		t.Errorf("Get-Jobs by bob: %v, %d job attributes; want none of alice's", status(m), len(m.Job))
	}
	if _, m := serveRecorded(t, s, encode(t, ippRequest(goipp.OpCancelMyJobs, 13, "ipp://localhost/ipp/print", nil, nil)), "bob"); status(m) != goipp.StatusOk {
		t.Errorf("Cancel-My-Jobs by bob: %v", status(m))
	}
	if j, _ := jobs.Job(t.Context(), 1); j.State != JobHeld {
		t.Errorf("alice's job is %d after bob's requests, want held", j.State)
	}

	// The owner can.
	for _, tc := range []struct {
		op    goipp.Op
		want  goipp.Status
		state int
		held  bool
	}{
		{goipp.OpHoldJob, goipp.StatusOk, JobHeld, true},
		{goipp.OpReleaseJob, goipp.StatusOk, JobHeld, false},
		{goipp.OpCancelJob, goipp.StatusOk, JobCanceled, false},
		{goipp.OpCancelJob, goipp.StatusErrorNotPossible, JobCanceled, false},
	} {
		_, m := serveRecorded(t, s, encode(t, jobOp(tc.op, 1)), "alice")
		j, _ := jobs.Job(t.Context(), 1)
		if status(m) != tc.want || j.State != tc.state || j.UserHeld != tc.held {
			t.Errorf("%v by alice: %v, job %d held %v; want %v, %d, %v", tc.op, status(m), j.State, j.UserHeld, tc.want, tc.state, tc.held)
		}
	}
}

// Create-Job then Send-Document (gzip) makes one job with the inflated
// document; Close-Job without a document aborts; a second document is
// refused.
func TestCreateJobSendDocument(t *testing.T) {
	jobs := NewMemoryJobs(10)
	cfg := testConfig()
	cfg.Jobs = jobs
	sp := &testSpooler{}
	s := newTestServer(t, cfg, testAuth{}, sp)
	create := func() int {
		t.Helper()
		_, m := serveRecorded(t, s, encode(t, ippRequest(goipp.OpCreateJob, 20, "ipp://localhost/ipp/print", []goipp.Attribute{
			goipp.MakeAttribute("job-name", goipp.TagName, goipp.String("scan")),
			goipp.MakeAttribute("job-password", goipp.TagString, goipp.Binary("4321")),
		}, nil)), "alice")
		a, ok := attr(m, "job-id")
		if status(m) != goipp.StatusOk || !ok {
			t.Fatalf("Create-Job: %v", status(m))
		}
		return int(a.Values[0].V.(goipp.Integer))
	}
	n := create()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(samplepdf.Page("edgeprint", 0))
	zw.Close()
	send := func(number int) goipp.Status {
		body := encode(t, jobOp(goipp.OpSendDocument, number,
			goipp.MakeAttribute("last-document", goipp.TagBoolean, goipp.Boolean(true)),
			goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String("application/pdf")),
			goipp.MakeAttribute("compression", goipp.TagKeyword, goipp.String("gzip"))))
		_, m := serveRecorded(t, s, append(body, z.Bytes()...), "alice")
		return status(m)
	}
	if st := send(n); st != goipp.StatusOk {
		t.Fatalf("Send-Document: %v", st)
	}
	calls := sp.spooled()
	if len(calls) != 1 || !bytes.Equal(calls[0].doc, samplepdf.Page("edgeprint", 0)) || calls[0].info.Number != n ||
		calls[0].info.Name != "scan" || calls[0].info.Password != "4321" {
		t.Fatalf("spooled %+v", calls)
	}
	if st := send(n); st != goipp.StatusErrorNotPossible {
		t.Errorf("second Send-Document: %v, want client-error-not-possible", st)
	}
	empty := create()
	if _, m := serveRecorded(t, s, encode(t, jobOp(goipp.OpCloseJob, empty)), "alice"); status(m) != goipp.StatusOk {
		t.Errorf("Close-Job: %v", status(m))
	}
	_, m := serveRecorded(t, s, encode(t, jobOp(goipp.OpGetJobAttributes, empty)), "alice")
	if a, _ := attr(m, "job-state"); a.Values.String() != "8" {
		t.Errorf("job closed without a document: job-state %v, want 8 (aborted)", a.Values)
	}
	// Bad gzip data is a compression error, and nothing is kept.
	third := create()
	body := encode(t, jobOp(goipp.OpSendDocument, third,
		goipp.MakeAttribute("last-document", goipp.TagBoolean, goipp.Boolean(true)),
		goipp.MakeAttribute("compression", goipp.TagKeyword, goipp.String("gzip"))))
	if _, m := serveRecorded(t, s, append(body, []byte("not gzip at all")...), "alice"); status(m) != goipp.StatusErrorCompressionError {
		t.Errorf("bad gzip: %v, want client-error-compression-error", status(m))
	}
	_, m = serveRecorded(t, s, encode(t, jobOp(goipp.OpGetJobAttributes, third)), "alice")
	if a, _ := attr(m, "job-state"); a.Values.String() != "8" {
		t.Errorf("job whose document failed: job-state %v, want 8 (aborted)", a.Values)
	}
}

// The size limit applies to the inflated document: a small gzip of a huge
// one is refused.
func TestGzipBomb(t *testing.T) {
	cfg := testConfig()
	cfg.MaxDocumentSize = 64 << 10
	sp := &testSpooler{}
	s := newTestServer(t, cfg, testAuth{}, sp)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(make([]byte, 10<<20))
	zw.Close()
	m := ippRequest(goipp.OpPrintJob, 30, "ipp://localhost/ipp/print", []goipp.Attribute{
		goipp.MakeAttribute("compression", goipp.TagKeyword, goipp.String("gzip")),
	}, nil)
	if z.Len() > int(cfg.MaxDocumentSize) {
		t.Fatalf("the gzip is %d bytes, over the limit itself", z.Len())
	}
	_, resp := serveRecorded(t, s, append(encode(t, m), z.Bytes()...), "alice")
	if status(resp) != goipp.StatusErrorRequestEntity {
		t.Errorf("10 MiB inflated from %d bytes: %v, want client-error-request-entity-too-large", z.Len(), status(resp))
	}
}

func TestIcon(t *testing.T) {
	s := newTestServer(t, testConfig(), testAuth{}, &testSpooler{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, iconPath, nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("GET %s: %d %s", iconPath, rec.Code, rec.Header().Get("Content-Type"))
	}
	if _, err := png.Decode(rec.Body); err != nil {
		t.Fatal(err)
	}
}
