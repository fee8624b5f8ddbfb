package relay

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// maxCSRFPart bounds the csrf field of the upload form.
const maxCSRFPart = 256

type portalData struct {
	Held, Done []jobResponse
	Printers   []store.Printer
}

// portalPage is a user's own jobs: held ones to release or delete, and
// the recently printed; plus the upload form and the links to the
// badge-claim and unlock-code pages.
func (s *Server) portalPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	owned, err := s.store.Jobs(r.Context(), c.company.ID, store.JobFilter{UserID: c.user.ID})
	if err != nil {
		return err
	}
	d := portalData{}
	for i := len(owned) - 1; i >= 0; i-- { // newest first
		switch j := toJobResponse(owned[i], c.user.Email); j.State {
		case store.JobHeld, store.JobFailed:
			d.Held = append(d.Held, j)
		case store.JobPrinted:
			if len(d.Done) < 20 {
				d.Done = append(d.Done, j)
			}
		}
	}
	printers, err := s.store.Printers(r.Context(), c.company.ID)
	if err != nil {
		return err
	}
	for _, p := range printers {
		if p.Enabled {
			d.Printers = append(d.Printers, p)
		}
	}
	return s.show(w, c, "portal.html", "portal", d)
}

func (s *Server) portalDelete(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	if err := s.deleteJob(r.Context(), c.company.ID, c.user.ID, c.user.ID, r.PathValue("id")); err != nil {
		return err
	}
	c.notice = "Job deleted."
	return nil
}

func (s *Server) portalRelease(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	if err := s.releaseJob(r.Context(), c.company.ID, c.user.ID, c.user.ID, r.PathValue("id"), r.PostForm.Get("printer_id")); err != nil {
		return err
	}
	c.notice = "Sent to the printer."
	return nil
}

// portalUpload takes a PDF from the upload form and holds it as a job of
// the signed-in user. The form is read part by part: the csrf field first
// (it comes first in the form), then the file, streamed straight into the
// encrypted job store without buffering it whole.
func (s *Server) portalUpload(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consoleCtxFor(w, r, false)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxDocumentSize+maxFormBody)
	err := s.upload(r, c)
	if err != nil {
		msg, status := userMessage(err)
		if status == http.StatusInternalServerError {
			s.consoleError(w, r, err)
			return
		}
		if status == http.StatusForbidden {
			http.Error(w, msg, status)
			return
		}
		c.status, c.errMsg = status, msg
	} else {
		c.notice = "Uploaded. Your document is held: release it to a printer below."
	}
	if err := s.portalPage(w, r, c); err != nil {
		s.consoleError(w, r, err)
	}
}

var errBadToken = errorf(http.StatusForbidden, "invalid form token")

func (s *Server) upload(r *http.Request, c *consoleCtx) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return errBadToken
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf" {
		return errBadToken
	}
	tok, err := io.ReadAll(io.LimitReader(part, maxCSRFPart))
	if err != nil || !sameToken(c.sess.csrf, string(tok)) {
		return errBadToken
	}
	part, err = mr.NextPart()
	if err != nil || part.FormName() != "file" {
		return badRequest("choose a PDF file")
	}
	defer part.Close()
	br := bufio.NewReader(part)
	magic, _ := br.Peek(5)
	if !bytes.Equal(magic, []byte("%PDF-")) {
		return errorf(http.StatusUnsupportedMediaType, "only PDF documents can be uploaded")
	}
	name := cleanJobName(strings.TrimSuffix(path.Base(strings.ReplaceAll(part.FileName(), `\`, "/")), "/"))
	if name == "" || name == "." {
		name = "document.pdf"
	}
	now := time.Now().UTC()
	j := store.Job{ID: newID(), CompanyID: c.company.ID, UserID: c.user.ID, Name: name, Format: "application/pdf", Created: now}
	j, created, err := s.storeJob(r.Context(), j, br)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errorf(http.StatusRequestEntityTooLarge, "document too large")
	}
	if err != nil {
		return err
	}
	if created {
		s.audit(r.Context(), store.AuditEvent{CompanyID: c.company.ID, Kind: store.EventJob, Channel: store.ChannelPortal,
			UserID: c.user.ID, Remote: clientIP(r), Outcome: store.OutcomeOK, Detail: cleanText("uploaded "+name, 512)})
	}
	return nil
}
