package ipp

import (
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/OpenPrinting/goipp"
)

// bodyDrainTimeout bounds how long net/http may spend reading what a
// handler left of a request body, so the connection can be reused.
const bodyDrainTimeout = 5 * time.Second

// request is one decoded IPP request and the HTTP exchange carrying it.
type request struct {
	msg    *goipp.Message
	op     goipp.Op
	http   *http.Request
	rc     *http.ResponseController
	header http.Header // of the response
	log    *slog.Logger

	secure    bool // arrived over TLS
	headerLen int  // bytes of the IPP header, before the document
	user      User // once authenticated
}

// serveIPP runs one IPP request: decode the IPP header (bounded in size
// and time), answer it, and leave the document to the operation, which
// streams it to the Spooler.
func (s *Server) serveIPP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	defer func() {
		// Deadlines outlive the request on a kept-alive connection:
		// leave none for writing, and a short one for net/http to drain
		// what is left of the body.
		_ = rc.SetWriteDeadline(time.Time{})
		_ = rc.SetReadDeadline(time.Now().Add(bodyDrainTimeout))
	}()
	log := s.log.With("remote", r.RemoteAddr)

	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != mimeIPP {
		s.httpFail(w, http.StatusBadRequest, "content type must be "+mimeIPP)
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		s.httpFail(w, http.StatusUnsupportedMediaType, "content encoding "+ce+" is not supported")
		return
	}

	_ = rc.SetReadDeadline(time.Now().Add(ippHeaderTimeout))
	hr := &headerReader{r: r.Body}
	msg := new(goipp.Message)
	if err := msg.Decode(hr); err != nil {
		s.answerUndecodable(w, rc, hr, err, log)
		return
	}
	_ = rc.SetReadDeadline(time.Now().Add(documentIdleTimeout))

	rq := &request{
		msg:       msg,
		op:        goipp.Op(msg.Code),
		http:      r,
		rc:        rc,
		header:    w.Header(),
		log:       log.With("op", opLabel(goipp.Op(msg.Code)), "request_id", msg.RequestID),
		secure:    r.TLS != nil,
		headerLen: hr.n,
	}
	code, resp := s.handle(rq)
	s.writeIPP(w, rc, code, opLabel(rq.op), resp, rq.log)
}

// answerUndecodable answers a request whose IPP header did not decode:
// HTTP 400 (413 when over the size cap), with an IPP body when at least
// the version and request-id arrived.
func (s *Server) answerUndecodable(w http.ResponseWriter, rc *http.ResponseController, hr *headerReader, err error, log *slog.Logger) {
	code, status, text := http.StatusBadRequest, goipp.StatusErrorBadRequest, "the IPP request does not decode"
	if hr.tooLarge() {
		code, status, text = http.StatusRequestEntityTooLarge, goipp.StatusErrorRequestEntity, errHeaderTooLarge.Error()
	}
	log.Info("ipp: bad request", "err", err, "bytes", hr.n)
	v, id, ok := hr.requestHead()
	if !ok {
		s.httpFail(w, code, text)
		return
	}
	if !versionSupported(v) {
		v = closestVersion(v)
	}
	s.writeIPP(w, rc, code, "unknown", newResponseTo(v, id, status, text), log)
}

// writeIPP sends resp with HTTP status code (0 means 200).
func (s *Server) writeIPP(w http.ResponseWriter, rc *http.ResponseController, code int, op string, resp *goipp.Message, log *slog.Logger) {
	body, status, err := encodeResponse(resp)
	if err != nil {
		log.Error("ipp: encode response", "err", err)
		if body == nil {
			s.httpFail(w, http.StatusInternalServerError, "cannot encode the response")
			return
		}
	}
	if code == 0 {
		code = http.StatusOK
	}
	label := status.String()
	if code != http.StatusOK {
		label = "http-" + strconv.Itoa(code)
	}
	s.metrics.request(op, label)
	log.Debug("ipp: answer", "status", label)

	_ = rc.SetWriteDeadline(time.Now().Add(responseWriteTimeout))
	h := w.Header()
	h.Set("Content-Type", mimeIPP)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if _, err := w.Write(body); err != nil {
		log.Debug("ipp: write response", "err", err)
		return
	}
	// Flush under the write deadline rather than after the handler.
	if err := rc.Flush(); err != nil {
		log.Debug("ipp: flush response", "err", err)
	}
}

// httpFail answers at the HTTP level, for what is not IPP at all.
func (s *Server) httpFail(w http.ResponseWriter, code int, text string) {
	s.metrics.request("unknown", "http-"+strconv.Itoa(code))
	http.Error(w, text, code)
}

// opLabel names op for logs and metrics: goipp's name for a registered
// operation, "unknown" otherwise, so a client cannot mint label values.
func opLabel(op goipp.Op) string {
	name := op.String()
	if strings.HasPrefix(name, "0x") {
		return "unknown"
	}
	return name
}
