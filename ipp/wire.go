package ipp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/OpenPrinting/goipp"
)

// Limits of the IPP encoding this server accepts.
const (
	// maxIPPHeaderBytes caps the IPP part of a request (everything before
	// the document): a Print-Job header is a few hundred bytes.
	maxIPPHeaderBytes = 1 << 20
	// maxNameBytes, maxTextBytes and maxURIBytes are name(MAX), text(MAX)
	// and uri(MAX) of RFC 8011 5.1.
	maxNameBytes = 255
	maxTextBytes = 1023
	maxURIBytes  = 1023
	// maxPrinterNameBytes is printer-name's name(127).
	maxPrinterNameBytes = 127
	// ippHeadBytes is version, operation-id and request-id.
	ippHeadBytes = 8
)

const (
	charsetUTF8  = "utf-8"
	languageEN   = "en"
	mimeIPP      = "application/ipp"
	formatOctets = "application/octet-stream"
)

// Versions this server speaks; it answers in the request's version.
var (
	version11 = goipp.MakeVersion(1, 1)
	version20 = goipp.MakeVersion(2, 0)
)

func versionSupported(v goipp.Version) bool { return v == version11 || v == version20 }

// closestVersion is the version a server-error-version-not-supported
// answer is sent in (RFC 8011 4.1.8).
func closestVersion(v goipp.Version) goipp.Version {
	if v < version20 {
		return version11
	}
	return version20
}

// headerReader feeds the IPP decoder from the HTTP body. It refuses to
// read past maxIPPHeaderBytes, and keeps the first bytes (version,
// operation-id, request-id) so that even a request that does not decode
// gets an answer in IPP terms.
type headerReader struct {
	r    io.Reader
	n    int
	head [ippHeadBytes]byte
}

var errHeaderTooLarge = fmt.Errorf("ipp: request header over %d bytes", maxIPPHeaderBytes)

func (h *headerReader) Read(p []byte) (int, error) {
	if h.n >= maxIPPHeaderBytes {
		return 0, errHeaderTooLarge
	}
	p = p[:min(len(p), maxIPPHeaderBytes-h.n)]
	n, err := h.r.Read(p)
	if h.n < ippHeadBytes {
		copy(h.head[h.n:], p[:n])
	}
	h.n += n
	return n, err
}

// tooLarge reports whether decoding stopped at the size cap.
func (h *headerReader) tooLarge() bool { return h.n >= maxIPPHeaderBytes }

// requestHead returns the version and request-id of a request that did not
// decode, when enough of it arrived.
func (h *headerReader) requestHead() (v goipp.Version, id uint32, ok bool) {
	if h.n < ippHeadBytes {
		return 0, 0, false
	}
	return goipp.Version(binary.BigEndian.Uint16(h.head[0:2])), binary.BigEndian.Uint32(h.head[4:8]), true
}

// docReader is the document as Spool sees it: the rest of the HTTP body,
// cut off with ErrDocumentTooLarge past limit, and keeping the connection's
// read deadline documentIdleTimeout ahead while data flows.
type docReader struct {
	r        io.Reader
	limit    int64
	n        int64
	tooLarge bool
	err      error // sticky: once failed, always failed

	// extend pushes the read deadline forward; nil when not possible.
	extend   func(time.Time) error
	extended time.Time
}

// deadlineSlack is how stale the read deadline may get before a Read
// pushes it forward again; it saves a timer reset on every Read.
const deadlineSlack = time.Second

func (d *docReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.extend != nil {
		if now := time.Now(); now.Sub(d.extended) > deadlineSlack {
			_ = d.extend(now.Add(documentIdleTimeout))
			d.extended = now
		}
	}
	// One byte past the limit tells "exactly limit" from "more".
	if room := d.limit - d.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := d.r.Read(p)
	if d.n+int64(n) > d.limit {
		n = int(d.limit - d.n)
		d.n = d.limit
		d.tooLarge = true
		d.err = ErrDocumentTooLarge
		return n, d.err
	}
	d.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		// Spool may take its time making the job durable: net/http
		// watches the idle connection meanwhile, and a deadline passing
		// then would cancel the request.
		if d.extend != nil {
			_ = d.extend(time.Time{})
		}
	case err != nil:
		d.err = fmt.Errorf("ipp: read document: %w", err)
		return n, d.err
	}
	return n, err
}

// newResponse starts the response to req: status, and the operation
// attributes every response begins with (RFC 8011 4.1.4.2).
func newResponse(req *goipp.Message, status goipp.Status, message string) *goipp.Message {
	return newResponseTo(req.Version, req.RequestID, status, message)
}

func newResponseTo(v goipp.Version, requestID uint32, status goipp.Status, message string) *goipp.Message {
	resp := goipp.NewResponse(v, status, requestID)
	resp.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String(charsetUTF8)))
	resp.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String(languageEN)))
	if message != "" {
		resp.Operation.Add(goipp.MakeAttribute("status-message", goipp.TagText, goipp.String(message)))
	}
	return resp
}

// withGroups sets the groups of resp after its operation attributes, in
// the order given (unsupported attributes first, then the object).
func withGroups(resp *goipp.Message, groups ...goipp.Group) *goipp.Message {
	all := goipp.Groups{{Tag: goipp.TagOperationGroup, Attrs: resp.Operation}}
	for _, g := range groups {
		if len(g.Attrs) > 0 {
			all = append(all, g)
		}
	}
	return goipp.NewMessageWithGroups(resp.Version, resp.Code, resp.RequestID, all)
}

// encodeResponse encodes resp; if that fails (an attribute echoed from the
// request that cannot be re-encoded) it encodes a bare internal error.
func encodeResponse(resp *goipp.Message) ([]byte, goipp.Status, error) {
	b, err := resp.EncodeBytes()
	if err == nil {
		return b, goipp.Status(resp.Code), nil
	}
	bare := newResponseTo(resp.Version, resp.RequestID, goipp.StatusErrorInternal, "")
	b, err2 := bare.EncodeBytes()
	if err2 != nil {
		return nil, 0, errors.Join(err, err2)
	}
	return b, goipp.StatusErrorInternal, fmt.Errorf("ipp: encode response: %w", err)
}
