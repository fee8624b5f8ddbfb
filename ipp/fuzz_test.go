package ipp

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/OpenPrinting/goipp"

	"github.com/edgeprint/edgeprint/samplepdf"
)

// discardSpooler reads documents and keeps nothing.
type discardSpooler struct{}

func (discardSpooler) Spool(_ context.Context, _ JobInfo, doc io.Reader) (Job, error) {
	if _, err := io.Copy(io.Discard, doc); err != nil {
		return Job{}, err
	}
	return Job{ID: "j", Number: 1}, nil
}

// FuzzRequest sends arbitrary request bodies, with good credentials, from
// loopback. Every answer must be a deliberate HTTP error or a decodable
// IPP response that echoes the request-id and starts as responses must.
func FuzzRequest(f *testing.F) {
	pdf := samplepdf.Page("edgeprint", 0)
	f.Add(printJobBody(f, 1, "application/pdf", pdf))
	f.Add(printJobBody(f, 2, "application/octet-stream", bytes.Repeat([]byte{0x1b, 'E'}, 3000)))
	f.Add(encode(f, ippRequest(goipp.OpGetPrinterAttributes, 3, "ipp://localhost/ipp/print", []goipp.Attribute{
		goipp.MakeAttribute("requested-attributes", goipp.TagKeyword, goipp.String("all")),
	}, nil)))
	f.Add(encode(f, ippRequest(goipp.OpGetJobAttributes, 4, "ipp://localhost/ipp/print", []goipp.Attribute{
		goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(1)),
	}, nil)))
	f.Add(encode(f, ippRequest(goipp.OpValidateJob, 5, "ipp://localhost/ipp/print", nil, []goipp.Attribute{
		goipp.MakeAttribute("media-col", goipp.TagBeginCollection, goipp.Collection{
			goipp.MakeAttribute("media-size", goipp.TagBeginCollection, goipp.Collection{
				goipp.MakeAttribute("x-dimension", goipp.TagInteger, goipp.Integer(21000)),
			}),
		}),
	})))
	for _, op := range []goipp.Op{goipp.OpCreateJob, goipp.OpGetJobs, goipp.OpCancelJob, goipp.OpHoldJob, goipp.OpReleaseJob, goipp.OpCloseJob, goipp.OpIdentifyPrinter, goipp.OpCancelMyJobs} {
		f.Add(encode(f, ippRequest(op, 6, "ipp://localhost/ipp/print", []goipp.Attribute{
			goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(1)),
			goipp.MakeAttribute("which-jobs", goipp.TagKeyword, goipp.String("completed")),
			goipp.MakeAttribute("limit", goipp.TagInteger, goipp.Integer(2)),
		}, nil)))
	}
	sd := ippRequest(goipp.OpSendDocument, 7, "ipp://localhost/ipp/print", []goipp.Attribute{
		goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(1)),
		goipp.MakeAttribute("last-document", goipp.TagBoolean, goipp.Boolean(true)),
		goipp.MakeAttribute("compression", goipp.TagKeyword, goipp.String("gzip")),
		goipp.MakeAttribute("job-password", goipp.TagString, goipp.Binary("1234")),
	}, nil)
	f.Add(append(encode(f, sd), 0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte{})
	f.Add([]byte{0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 0x47, 0xff, 0xff})

	f.Fuzz(func(t *testing.T, body []byte) {
		cfg := testConfig()
		cfg.MaxDocumentSize = 4096
		s := NewServer(cfg, testAuth{}, discardSpooler{}, nil)
		req := httptest.NewRequest(http.MethodPost, "/ipp/print", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Content-Type", "application/ipp")
		req.SetBasicAuth("alice", "secret")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)

		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("HTTP %d", rec.Code)
		}
		if rec.Header().Get("Content-Type") != "application/ipp" {
			if rec.Code == http.StatusOK {
				t.Fatal("HTTP 200 without an IPP body")
			}
			return
		}
		var m goipp.Message
		if err := m.DecodeBytes(rec.Body.Bytes()); err != nil {
			t.Fatalf("answer does not decode: %v", err)
		}
		if !versionSupported(m.Version) {
			t.Errorf("answered in IPP %v", m.Version)
		}
		if len(body) >= 8 && m.RequestID != binary.BigEndian.Uint32(body[4:8]) {
			t.Errorf("request-id %d, sent %d", m.RequestID, binary.BigEndian.Uint32(body[4:8]))
		}
		if len(m.Operation) < 2 || m.Operation[0].Name != "attributes-charset" || m.Operation[1].Name != "attributes-natural-language" {
			t.Errorf("answer does not start with charset and language: %v", m.Operation)
		}
	})
}
