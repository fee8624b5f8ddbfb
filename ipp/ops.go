package ipp

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/OpenPrinting/goipp"
)

// operation is one IPP operation the queue implements.
type operation struct {
	auth bool // needs an authenticated user
	run  func(*Server, *request) *goipp.Message
}

// operations is every operation the queue answers; the rest get
// server-error-operation-not-supported. operations-supported is derived
// from it, so it never claims what is not here.
func operations() map[goipp.Op]operation {
	return map[goipp.Op]operation{
		goipp.OpPrintJob:             {auth: true, run: (*Server).printJob},
		goipp.OpValidateJob:          {auth: true, run: (*Server).validateJob},
		goipp.OpGetJobAttributes:     {auth: true, run: (*Server).getJobAttributes},
		goipp.OpGetPrinterAttributes: {auth: false, run: (*Server).getPrinterAttributes},
		goipp.OpCreateJob:            {auth: true, run: (*Server).createJob},
		goipp.OpSendDocument:         {auth: true, run: (*Server).sendDocument},
		goipp.OpCloseJob:             {auth: true, run: (*Server).closeJob},
		goipp.OpCancelJob:            {auth: true, run: (*Server).cancelJob},
		goipp.OpCancelMyJobs:         {auth: true, run: (*Server).cancelMyJobs},
		goipp.OpGetJobs:              {auth: true, run: (*Server).getJobs},
		goipp.OpHoldJob:              {auth: true, run: (*Server).holdJob},
		goipp.OpReleaseJob:           {auth: true, run: (*Server).releaseJob},
		goipp.OpIdentifyPrinter:      {auth: false, run: (*Server).identifyPrinter},
	}
}

// handle checks what every request must get right (RFC 8011 4.1.8 order:
// version, then the operation attributes, then the operation), then
// authenticates when the operation needs it and runs it.
func (s *Server) handle(rq *request) (int, *goipp.Message) {
	req := rq.msg
	if !versionSupported(req.Version) {
		return http.StatusOK, newResponseTo(closestVersion(req.Version), req.RequestID,
			goipp.StatusErrorVersionNotSupported, "IPP 1.1 and 2.0 are supported")
	}
	if resp := checkRequest(req); resp != nil {
		return http.StatusOK, resp
	}
	op, ok := s.ops[rq.op]
	if !ok {
		return http.StatusOK, newResponse(req, goipp.StatusErrorOperationNotSupported, "")
	}
	if op.auth {
		if code, resp := s.authenticate(rq); resp != nil {
			return code, resp
		}
	}
	return http.StatusOK, op.run(s, rq)
}

// checkRequest checks the request-id and the two attributes every request
// starts with.
func checkRequest(req *goipp.Message) *goipp.Message {
	if req.RequestID == 0 || req.RequestID > math.MaxInt32 {
		return newResponse(req, goipp.StatusErrorBadRequest, "request-id must be 1 to 2^31-1")
	}
	if len(req.Groups) == 0 || req.Groups[0].Tag != goipp.TagOperationGroup {
		return newResponse(req, goipp.StatusErrorBadRequest, "the operation attributes group must come first")
	}
	attrs := req.Groups[0].Attrs
	if len(attrs) < 2 ||
		attrs[0].Name != "attributes-charset" || !singleString(attrs[0], goipp.TagCharset) ||
		attrs[1].Name != "attributes-natural-language" || !singleString(attrs[1], goipp.TagLanguage) {
		return newResponse(req, goipp.StatusErrorBadRequest,
			"attributes-charset and attributes-natural-language must come first")
	}
	switch strings.ToLower(attrs[0].Values[0].V.String()) {
	case charsetUTF8, "us-ascii": // us-ascii is a subset of utf-8
	default:
		resp := newResponse(req, goipp.StatusErrorCharset, "only utf-8 is supported")
		return withGroups(resp, goipp.Group{Tag: goipp.TagUnsupportedGroup, Attrs: goipp.Attributes{attrs[0]}})
	}
	return nil
}

func singleString(a goipp.Attribute, tag goipp.Tag) bool {
	if len(a.Values) != 1 || a.Values[0].T != tag {
		return false
	}
	_, ok := a.Values[0].V.(goipp.String)
	return ok
}

// attrError is a request attribute the operation cannot take.
type attrError struct {
	status goipp.Status
	text   string
	attr   *goipp.Attribute // echoed in the unsupported group, if set
}

func (e *attrError) response(req *goipp.Message) *goipp.Message {
	resp := newResponse(req, e.status, e.text)
	if e.attr == nil {
		return resp
	}
	return withGroups(resp, goipp.Group{Tag: goipp.TagUnsupportedGroup, Attrs: goipp.Attributes{*e.attr}})
}

// opAttr returns the operation attribute name, if sent.
func opAttr(req *goipp.Message, name string) (goipp.Attribute, bool) {
	for _, a := range req.Operation {
		if a.Name == name {
			return a, true
		}
	}
	return goipp.Attribute{}, false
}

// opString returns the single string value of the operation attribute
// name, "" when absent. It must have one of tags and at most maxLen bytes.
// The name and text syntaxes may come with a language: only the string
// is kept.
func opString(req *goipp.Message, name string, maxLen int, tags ...goipp.Tag) (string, *attrError) {
	a, ok := opAttr(req, name)
	if !ok {
		return "", nil
	}
	if len(a.Values) != 1 || !slices.Contains(tags, a.Values[0].T) {
		return "", &attrError{status: goipp.StatusErrorBadRequest, text: name + " has the wrong syntax"}
	}
	var v string
	switch x := a.Values[0].V.(type) {
	case goipp.String:
		v = string(x)
	case goipp.TextWithLang:
		v = x.Text
	default:
		return "", &attrError{status: goipp.StatusErrorBadRequest, text: name + " has the wrong syntax"}
	}
	if len(v) > maxLen {
		return "", &attrError{status: goipp.StatusErrorRequestValue, text: name + " is too long"}
	}
	return v, nil
}

var (
	nameTags = []goipp.Tag{goipp.TagName, goipp.TagNameLang}
	uriTags  = []goipp.Tag{goipp.TagURI}
)

// requirePrinterURI checks the target of a printer operation. The URI is
// not compared with this server's names: clients reach the queue by many
// (DNS-SD .local name, IP address, the name in the certificate).
func requirePrinterURI(req *goipp.Message) *attrError {
	uri, err := opString(req, "printer-uri", maxURIBytes, uriTags...)
	if err != nil {
		return err
	}
	if uri == "" {
		return &attrError{status: goipp.StatusErrorBadRequest, text: "printer-uri is missing"}
	}
	return nil
}

// ticket is what Print-Job, Validate-Job, Create-Job and Send-Document
// read from a request.
type ticket struct {
	name, format, requestingUser, compression string
	password                                  string // job-password (a PIN), "" when not sent
}

// jobTicket checks the operation attributes of a job-creating request.
// Job template attributes (copies, media, sides...) are accepted and not
// used yet: the job is printed as the document says.
func jobTicket(req *goipp.Message) (ticket, *attrError) {
	var t ticket
	if err := requirePrinterURI(req); err != nil {
		return t, err
	}
	var err *attrError
	if t.requestingUser, err = opString(req, "requesting-user-name", maxNameBytes, nameTags...); err != nil {
		return t, err
	}
	if t.name, err = opString(req, "job-name", maxNameBytes, nameTags...); err != nil {
		return t, err
	}
	if t.name == "" {
		if t.name, err = opString(req, "document-name", maxNameBytes, nameTags...); err != nil {
			return t, err
		}
	}
	if t.name == "" {
		t.name = "Untitled"
	}
	if t.password, err = jobPassword(req); err != nil {
		return t, err
	}
	return documentTicket(req, t)
}

// documentTicket reads document-format and compression.
func documentTicket(req *goipp.Message, t ticket) (ticket, *attrError) {
	var err *attrError
	if t.format, err = opString(req, "document-format", maxNameBytes, goipp.TagMimeType); err != nil {
		return t, err
	}
	if t.format == "" {
		t.format = formatOctets
	} else if !slices.Contains(documentFormats, strings.ToLower(t.format)) {
		a, _ := opAttr(req, "document-format")
		return t, &attrError{status: goipp.StatusErrorDocumentFormatNotSupported,
			text: "document-format " + t.format + " is not supported", attr: &a}
	}
	t.format = strings.ToLower(t.format)
	if t.compression, err = opString(req, "compression", maxNameBytes, goipp.TagKeyword); err != nil {
		return t, err
	}
	if t.compression != "" && !slices.Contains(compressions, t.compression) {
		a, _ := opAttr(req, "compression")
		return t, &attrError{status: goipp.StatusErrorCompressionNotSupported,
			text: "compression " + t.compression + " is not supported", attr: &a}
	}
	return t, nil
}

// maxPasswordBytes is job-password-supported: a PIN of up to 4 digits, as
// iOS offers it.
const maxPasswordBytes = 4

// jobPassword reads job-password (octetString, sent in clear:
// job-password-encryption-supported is "none"; the connection is TLS).
func jobPassword(req *goipp.Message) (string, *attrError) {
	a, ok := opAttr(req, "job-password")
	if !ok {
		return "", nil
	}
	bad := &attrError{status: goipp.StatusErrorAttributesOrValues, text: "job-password must be 1 to 4 digits", attr: &a}
	if len(a.Values) != 1 || a.Values[0].T != goipp.TagString {
		return "", bad
	}
	var pin string
	switch v := a.Values[0].V.(type) {
	case goipp.Binary:
		pin = string(v)
	case goipp.String:
		pin = string(v)
	default:
		return "", bad
	}
	if pin == "" || len(pin) > maxPasswordBytes {
		return "", bad
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return "", bad
		}
	}
	return pin, nil
}

// printJob reserves a job number and receives the document.
func (s *Server) printJob(rq *request) *goipp.Message {
	req := rq.msg
	t, aerr := jobTicket(req)
	if aerr != nil {
		return aerr.response(req)
	}
	number, err := s.jobs.NewNumber(rq.http.Context())
	if err != nil {
		rq.log.Warn("ipp: reserve job number", "err", err)
		return newResponse(req, goipp.StatusErrorInternal, "the job could not be stored")
	}
	j := JobStatus{Job: Job{Number: number}, Owner: rq.user, Name: t.name, State: JobHeld, Created: time.Now()}
	return s.receive(rq, t, j)
}

// receive streams the document of job j to the Spooler and answers only
// once the Spooler has made the job durable.
func (s *Server) receive(rq *request, t ticket, j JobStatus) *goipp.Message {
	req := rq.msg
	limit := s.cfg.MaxDocumentSize
	if cl := rq.http.ContentLength; cl > 0 && cl-int64(rq.headerLen) > limit {
		rq.log.Info("ipp: document too large", "content_length", cl)
		return newResponse(req, goipp.StatusErrorRequestEntity, "the document is larger than this queue accepts")
	}
	j.Format = t.format
	info := JobInfo{
		User:           rq.user,
		Name:           t.name,
		Format:         t.format,
		RequestingUser: t.requestingUser,
		Created:        j.Created,
		Number:         j.Number,
		Password:       t.password,
	}
	wire := &docReader{r: rq.http.Body, limit: limit, extend: rq.rc.SetReadDeadline}
	doc, derr := inflate(wire, t.compression, limit)
	if derr != nil {
		rq.log.Info("ipp: compressed document does not start right", "err", derr, "compression", t.compression)
		return newResponse(req, goipp.StatusErrorCompressionError, "the document is not valid "+t.compression+" data")
	}
	// A job without document data is refused before the Spooler
	// makes an empty job durable.
	var first [1]byte
	n, err := io.ReadFull(doc, first[:])
	if n == 0 {
		rq.log.Info("ipp: job without a document", "err", err)
		return newResponse(req, goipp.StatusErrorBadRequest, "the request carries no document")
	}
	job, err := s.spool.Spool(rq.http.Context(), info, io.MultiReader(bytes.NewReader(first[:n]), doc))
	s.metrics.documentBytes(wire.n)
	switch {
	case wire.tooLarge || doc.tooLarge:
		if err == nil {
			rq.log.Error("ipp: spooler accepted a document cut at the size limit", "job", job.ID)
		}
		rq.log.Info("ipp: document too large", "bytes", wire.n)
		return newResponse(req, goipp.StatusErrorRequestEntity, "the document is larger than this queue accepts")
	case doc.err != nil && t.compression != "" && t.compression != "none" && wire.err == nil:
		if err == nil {
			rq.log.Error("ipp: spooler accepted a document that did not inflate", "job", job.ID)
		}
		rq.log.Info("ipp: document does not inflate", "err", doc.err)
		return newResponse(req, goipp.StatusErrorCompressionError, "the document is not valid "+t.compression+" data")
	case wire.err != nil || doc.err != nil:
		if err == nil {
			rq.log.Error("ipp: spooler accepted a document that did not arrive whole", "job", job.ID)
		}
		rq.log.Info("ipp: document upload failed", "err", errors.Join(wire.err, doc.err), "bytes", wire.n)
		return newResponse(req, goipp.StatusErrorBadRequest, "the document did not arrive whole")
	case err != nil:
		rq.log.Warn("ipp: spool", "err", err, "bytes", wire.n)
		return newResponse(req, goipp.StatusErrorInternal, "the job could not be stored")
	case job.Number != j.Number:
		rq.log.Error("ipp: spooler changed the job number", "job", job.ID, "number", job.Number, "want", j.Number)
		return newResponse(req, goipp.StatusErrorInternal, "the job could not be stored")
	}
	j.ID, j.Size, j.State = job.ID, doc.n, JobHeld
	if err := s.jobs.Added(rq.http.Context(), j); err != nil {
		rq.log.Warn("ipp: job store", "job", job.ID, "err", err)
	}
	rq.log.Info("ipp: job held", "job", job.ID, "number", job.Number, "bytes", doc.n, "format", t.format)

	resp := newResponse(req, goipp.StatusOk, "")
	return withGroups(resp, goipp.Group{Tag: goipp.TagJobGroup, Attrs: s.jobStatus(rq, j)})
}

// inflate returns the document as the client sent it before compressing,
// cut off with ErrDocumentTooLarge past limit (a small gzip can inflate
// to gigabytes).
func inflate(wire *docReader, compression string, limit int64) (*docReader, error) {
	switch compression {
	case "gzip":
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return nil, err
		}
		return &docReader{r: zr, limit: limit}, nil
	case "deflate":
		return &docReader{r: flate.NewReader(wire), limit: limit}, nil
	}
	return wire, nil
}

// validateJob answers whether Print-Job would take the same request.
func (s *Server) validateJob(rq *request) *goipp.Message {
	if _, err := jobTicket(rq.msg); err != nil {
		return err.response(rq.msg)
	}
	return newResponse(rq.msg, goipp.StatusOk, "")
}

func (s *Server) getPrinterAttributes(rq *request) *goipp.Message {
	req := rq.msg
	if err := requirePrinterURI(req); err != nil {
		return err.response(req)
	}
	requested, err := requestedAttributes(req)
	if err != nil {
		return err.response(req)
	}
	attrs := selectAttrs(s.printerAttrs(rq), requested)
	resp := newResponse(req, goipp.StatusOk, "")
	return withGroups(resp, goipp.Group{Tag: goipp.TagPrinterGroup, Attrs: attrs})
}

func (s *Server) getJobAttributes(rq *request) *goipp.Message {
	req := rq.msg
	number, aerr := targetJob(req)
	if aerr != nil {
		return aerr.response(req)
	}
	requested, aerr := requestedAttributes(req)
	if aerr != nil {
		return aerr.response(req)
	}
	j, ok := s.ownJob(rq, number)
	if !ok {
		return newResponse(req, goipp.StatusErrorNotFound, "no such job")
	}
	attrs := selectAttrs(s.jobAttrs(rq, j), requested)
	resp := newResponse(req, goipp.StatusOk, "")
	return withGroups(resp, goipp.Group{Tag: goipp.TagJobGroup, Attrs: attrs})
}

// targetJob returns the job a job operation is about: job-uri, or
// printer-uri and job-id.
func targetJob(req *goipp.Message) (int, *attrError) {
	uri, err := opString(req, "job-uri", maxURIBytes, uriTags...)
	if err != nil {
		return 0, err
	}
	if uri != "" {
		n, ok := jobNumberFromURI(uri)
		if !ok {
			return 0, &attrError{status: goipp.StatusErrorNotFound, text: "no such job"}
		}
		return n, nil
	}
	if err := requirePrinterURI(req); err != nil {
		return 0, err
	}
	a, ok := opAttr(req, "job-id")
	if !ok {
		return 0, &attrError{status: goipp.StatusErrorBadRequest, text: "job-id or job-uri is missing"}
	}
	if len(a.Values) != 1 || a.Values[0].T != goipp.TagInteger {
		return 0, &attrError{status: goipp.StatusErrorBadRequest, text: "job-id has the wrong syntax"}
	}
	id, ok := a.Values[0].V.(goipp.Integer)
	if !ok {
		return 0, &attrError{status: goipp.StatusErrorBadRequest, text: "job-id has the wrong syntax"}
	}
	return int(id), nil
}

// requestedAttributes returns the keywords of requested-attributes, nil
// when absent (which means all).
func requestedAttributes(req *goipp.Message) ([]string, *attrError) {
	a, ok := opAttr(req, "requested-attributes")
	if !ok {
		return nil, nil
	}
	names := make([]string, 0, len(a.Values))
	for _, v := range a.Values {
		s, isString := v.V.(goipp.String)
		if v.T != goipp.TagKeyword || !isString {
			return nil, &attrError{status: goipp.StatusErrorBadRequest, text: "requested-attributes has the wrong syntax"}
		}
		names = append(names, string(s))
	}
	return names, nil
}
