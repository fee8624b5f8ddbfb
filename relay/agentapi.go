package relay

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	maxJobIDLen  = 64
	maxReasonLen = 500
	// maxDrain bounds how much of a re-uploaded document is read and
	// thrown away so the agent gets its answer on a clean stream.
	maxDrain = maxDocumentSize
)

// agentFunc is a handler of the /agent/v1 routes; a is the agent the
// tunnel belongs to, and everything it reaches is scoped to a.CompanyID.
type agentFunc func(w http.ResponseWriter, r *http.Request, a store.Agent) error

// agentRoutes serves c's agent inside its tunnel (docs/agent-protocol.md).
func (s *Server) agentRoutes(c *agentConn) http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h agentFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			s.touchAgent(c, false)
			if err := h(w, r, c.agent); err != nil {
				writeError(w, r, s.log.With("agent", c.agent.ID), err)
			}
		})
	}
	handle("POST /agent/v1/auth", s.agentAuth)
	handle("POST /agent/v1/cards/lookup", s.agentCardLookup)
	handle("GET /agent/v1/config", s.agentGetConfig)
	handle("PUT /agent/v1/jobs/{id}", s.agentPutJob)
	handle("GET /agent/v1/jobs", s.agentListJobs)
	handle("GET /agent/v1/jobs/{id}/document", s.agentGetDocument)
	handle("POST /agent/v1/jobs/{id}/state", s.agentSetState)
	handle("POST /agent/v1/directory/users", s.agentDirectoryUsers(c))
	handle("GET /agent/v1/release", s.agentLatestRelease)
	handle("GET /agent/v1/release/{version}/binary", s.agentReleaseBinary)
	handle("PUT /agent/v1/printers", s.agentPutPrinters)
	handle("POST /agent/v1/swipes", s.agentSwipe)
	handle("POST /agent/v1/audit", s.agentAudit)
	handle("/", func(w http.ResponseWriter, r *http.Request, _ store.Agent) error {
		return errorf(http.StatusNotFound, "no such route: %s %s", r.Method, r.URL.Path)
	})
	return mux
}

type identity struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func (s *Server) agentAuth(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	// Keyed by company and user, not address: every request comes from
	// the agent's one tunnel.
	key := "agent\x00" + a.CompanyID + "\x00" + strings.ToLower(strings.TrimSpace(req.Username))
	if !s.logins.ok(r.Context(), key) {
		s.auditAgentLogin(r.Context(), a, req.Username, "", errRateLimited)
		return tooMany(w)
	}
	company, err := s.store.Company(r.Context(), a.CompanyID)
	if err != nil {
		return err
	}
	// 503 when the company's directory cannot be asked: the print queue
	// then answers "service unavailable", never an accept.
	u, err := s.companyLogin(r.Context(), company, req.Username, req.Password)
	s.auditAgentLogin(r.Context(), a, req.Username, u.ID, err)
	if errors.Is(err, errUnauthorized) {
		s.logins.allow(r.Context(), key)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, identity{ID: u.ID, Email: u.Email, Name: u.Name})
	return nil
}

func (s *Server) agentCardLookup(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	var req struct {
		Card string `json:"card"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	card, err := store.NormalizeCard(req.Card)
	if err != nil {
		return badRequest("card: %v", err)
	}
	u, err := s.store.UserByCard(r.Context(), a.CompanyID, card)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, identity{ID: u.ID, Email: u.Email, Name: u.Name})
	return nil
}

// agentConfig is what an agent needs of its company: GET /agent/v1/config
// and POST /relay/v1/config.
type agentConfig struct {
	Company  companyConfig     `json:"company"`
	Printers []printerResponse `json:"printers"`
	Readers  []readerResponse  `json:"readers"`
}

type companyConfig struct {
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	Retention store.Retention `json:"retention"`
	// Settings (settings.go): agents release at panel sign-in when
	// AutoRelease is on, and print nothing unheld when
	// SecurePrintRequired is on.
	AutoRelease         bool `json:"auto_release"`
	SecurePrintRequired bool `json:"secure_print_required"`
}

func (s *Server) agentConfig(ctx context.Context, companyID string) (agentConfig, error) {
	c, err := s.store.Company(ctx, companyID)
	if err != nil {
		return agentConfig{}, err
	}
	ps, err := s.store.Printers(ctx, companyID)
	if err != nil {
		return agentConfig{}, err
	}
	rs, err := s.store.Readers(ctx, companyID)
	if err != nil {
		return agentConfig{}, err
	}
	cfg := agentConfig{
		Company: companyConfig{Code: c.Code, Name: c.Name, Retention: c.Retention,
			AutoRelease: c.AutoRelease, SecurePrintRequired: c.SecurePrintRequired},
		Printers: make([]printerResponse, 0, len(ps)),
		Readers:  make([]readerResponse, 0, len(rs)),
	}
	for _, p := range ps {
		cfg.Printers = append(cfg.Printers, toPrinterResponse(p))
	}
	for _, rd := range rs {
		cfg.Readers = append(cfg.Readers, toReaderResponse(rd))
	}
	return cfg, nil
}

func (s *Server) agentGetConfig(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	cfg, err := s.agentConfig(r.Context(), a.CompanyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cfg)
	return nil
}

// agentPutJob is PUT /agent/v1/jobs/{id}: the document streams from the
// tunnel into the docstore, never whole in memory.
func (s *Server) agentPutJob(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if !validJobID(id) {
		return badRequest("job id must be 1 to %d letters, digits, '-' or '_'", maxJobIDLen)
	}
	if existing, err := s.store.Job(ctx, a.CompanyID, id); err == nil {
		// Read the copy to its end so the agent's request completes on
		// a healthy stream, then answer as the first upload did.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrain))
		return s.writeJob(w, r, http.StatusOK, existing)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	j, err := jobFromHeaders(r, a, id)
	if err != nil {
		return err
	}
	if _, err := s.store.User(ctx, a.CompanyID, j.UserID); errors.Is(err, store.ErrNotFound) {
		return badRequest("X-Edgeprint-User: no such user")
	} else if err != nil {
		return err
	}
	if r.ContentLength > maxDocumentSize {
		return errorf(http.StatusRequestEntityTooLarge, "document over %d bytes", maxDocumentSize)
	}
	j, created, err := s.storeJob(ctx, j, http.MaxBytesReader(w, r.Body, maxDocumentSize))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.log.Info("job stored", "company", a.CompanyID, "agent", a.ID, "job", j.ID, "user", j.UserID, "size", j.Size)
	}
	return s.writeJob(w, r, status, j)
}

// jobFromHeaders reads the job's metadata. The name is cleaned rather than
// refused: a title from a phone's print sheet must not cost a held job.
func jobFromHeaders(r *http.Request, a store.Agent, id string) (store.Job, error) {
	j := store.Job{ID: id, CompanyID: a.CompanyID, AgentID: a.ID,
		UserID: strings.TrimSpace(r.Header.Get("X-Edgeprint-User")),
		Name:   cleanJobName(r.Header.Get("X-Edgeprint-Job-Name"))}
	if j.UserID == "" {
		return j, badRequest("X-Edgeprint-User is required")
	}
	j.Format = "application/octet-stream"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return j, badRequest("Content-Type: %v", err)
		}
		j.Format = mt
	}
	j.Created = time.Now().UTC()
	if c := r.Header.Get("X-Edgeprint-Created"); c != "" {
		t, err := time.Parse(time.RFC3339, c)
		if err != nil {
			return j, badRequest("X-Edgeprint-Created must be RFC 3339")
		}
		j.Created = t.UTC()
	}
	return j, nil
}

func cleanJobName(s string) string {
	if s = cleanText(s, maxNameLen); s == "" {
		return "untitled"
	}
	return s
}

// cleanText makes s valid UTF-8 without control characters, trimmed and
// cut to max characters.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

func validJobID(id string) bool {
	if id == "" || len(id) > maxJobIDLen {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) writeJob(w http.ResponseWriter, r *http.Request, status int, j store.Job) error {
	u, err := s.store.User(r.Context(), j.CompanyID, j.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	writeJSON(w, status, toJobResponse(j, u.Email))
	return nil
}

func (s *Server) agentListJobs(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	q := r.URL.Query()
	if err := onlyParams(q, "user", "state"); err != nil {
		return err
	}
	state, err := parseState(q.Get("state"))
	if err != nil {
		return err
	}
	out, err := s.jobList(r.Context(), a.CompanyID, store.JobFilter{UserID: q.Get("user"), State: state})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) agentGetDocument(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	j, err := s.store.Job(r.Context(), a.CompanyID, r.PathValue("id"))
	if err != nil {
		return err
	}
	doc, err := s.openDocument(r.Context(), j)
	if err != nil {
		return err
	}
	defer doc.Close()
	w.Header().Set("Content-Type", j.Format)
	w.Header().Set("Content-Length", strconv.FormatInt(j.Size, 10))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	n, err := io.Copy(w, doc)
	s.metrics.documentBytes.WithLabelValues("out").Add(float64(n))
	if err != nil && r.Context().Err() == nil {
		// Too late for a status: the short body tells the agent.
		s.log.Error("serve document", "company", a.CompanyID, "job", j.ID, "sent", n, "err", err)
	}
	return nil
}

func (s *Server) agentSetState(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	var req struct {
		State     store.JobState `json:"state"`
		PrinterID string         `json:"printer_id"`
		Reason    string         `json:"reason"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.State != store.JobPrinted && req.State != store.JobFailed && req.State != store.JobDeleted {
		return badRequest("state must be printed, failed or deleted")
	}
	id := r.PathValue("id")
	if req.PrinterID != "" {
		// An unknown printer (one the agent found itself, or a stale id)
		// must not keep the report, and so the document's deletion, from
		// going through: the id is dropped, not refused.
		if _, err := s.store.Printer(r.Context(), a.CompanyID, req.PrinterID); errors.Is(err, store.ErrNotFound) {
			s.log.Warn("job state names an unknown printer", "company", a.CompanyID, "agent", a.ID, "job", id, "printer", req.PrinterID)
			req.PrinterID = ""
		} else if err != nil {
			return err
		}
	}
	if err := s.setJobState(r.Context(), a.CompanyID, id, req.State, req.PrinterID, cleanText(req.Reason, maxReasonLen)); err != nil {
		return err
	}
	s.log.Info("job state", "company", a.CompanyID, "agent", a.ID, "job", id, "state", req.State)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
