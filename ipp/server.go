package ipp

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/OpenPrinting/goipp"
)

// User is who sent a job, as the Authenticator knows them.
type User struct{ ID, Email, Name string }

// ErrUnauthorized is what an Authenticator returns (or wraps) for a wrong
// username or password.
var ErrUnauthorized = errors.New("ipp: bad credentials")

// ErrDocumentTooLarge is what the document reader handed to Spool returns
// once the client has sent more than Config.MaxDocumentSize bytes.
var ErrDocumentTooLarge = errors.New("ipp: document too large")

// Authenticator checks the credentials of a job's sender.
type Authenticator interface {
	// Authenticate checks a username and password (from HTTP Basic). Other errors mean the check could not be made
	// (relay unreachable...) and must become IPP/HTTP "service unavailable"-style answers, never an accept.
	Authenticate(ctx context.Context, username, password string) (User, error)
}

// JobInfo describes a job being spooled.
type JobInfo struct {
	User           User
	Name           string // job-name, or the document-name, or "Untitled"
	Format         string // document-format as sent (application/pdf, application/octet-stream...)
	RequestingUser string // requesting-user-name as sent (informational; the authenticated User is what counts)
	Created        time.Time
	// Number is the IPP job-id the queue reserved (JobStore.NewNumber);
	// the Spooler must give the job this number.
	Number int
	// Password is the job-password (a PIN of up to 4 digits) the client
	// set, "" for none.
	Password string
}

// Job is a job the Spooler made durable.
type Job struct {
	ID     string // the agent's job id (opaque string)
	Number int    // the IPP job-id, > 0, fits int32
}

// Spooler makes accepted documents durable.
type Spooler interface {
	// Spool reads doc to EOF, makes the job durable (document and record fsynced) and only then returns.
	// The server sends the IPP response only after Spool returned. An error means nothing was accepted.
	Spool(ctx context.Context, job JobInfo, doc io.Reader) (Job, error)
}

// DefaultMaxDocumentSize is the document size limit when Config.MaxDocumentSize is 0.
const DefaultMaxDocumentSize = 512 << 20

// Media keywords Config.DefaultMedia accepts.
const (
	MediaA4     = "iso_a4_210x297mm"
	MediaLetter = "na_letter_8.5x11in"
)

// Config is one print queue.
type Config struct {
	Name            string // printer-name / queue name shown to users, e.g. "Acme HQ Secure Print"
	UUID            string // printer-uuid without "urn:uuid:" prefix; required
	MaxDocumentSize int64  // bytes; 0 means DefaultMaxDocumentSize; over it -> client-error-request-entity-too-large

	// Location is printer-location ("2nd floor, by the lifts"); empty by default.
	Location string
	// DefaultMedia is media-default: MediaA4 (when empty) or MediaLetter.
	DefaultMedia string
	// Metrics, when set, counts requests and document bytes; nil counts nothing.
	Metrics *Metrics
	// Jobs is where job state lives; nil keeps the last 1000 jobs in memory.
	Jobs JobStore
	// Capabilities is what the queue offers; the zero value offers colour
	// and duplex (see Capabilities). SetCapabilities changes it later.
	Capabilities Capabilities
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("ipp: config: name is empty")
	case len(c.Name) > maxPrinterNameBytes:
		return fmt.Errorf("ipp: config: name is longer than %d bytes", maxPrinterNameBytes)
	case !uuidRE.MatchString(c.UUID):
		return fmt.Errorf("ipp: config: uuid %q is not a UUID (8-4-4-4-12 hex digits, no urn:uuid: prefix)", c.UUID)
	case c.MaxDocumentSize < 0:
		return errors.New("ipp: config: max document size is negative")
	case len(c.Location) > maxTextBytes:
		return fmt.Errorf("ipp: config: location is longer than %d bytes", maxTextBytes)
	}
	if _, ok := mediaSizes[c.DefaultMedia]; !ok && c.DefaultMedia != "" {
		return fmt.Errorf("ipp: config: default media %q is not %s or %s", c.DefaultMedia, MediaA4, MediaLetter)
	}
	return nil
}

// Timeouts and limits of one IPP exchange. The HTTP-level ones are in serve.go.
const (
	// ippHeaderTimeout bounds reading the IPP request header (the
	// unauthenticated part) once the HTTP headers are in.
	ippHeaderTimeout = 30 * time.Second
	// documentIdleTimeout is how long a document upload may stall.
	documentIdleTimeout = 60 * time.Second
	// responseWriteTimeout bounds writing one IPP response.
	responseWriteTimeout = 30 * time.Second
	// authTimeout bounds one Authenticator call (it may ask the relay).
	authTimeout = 20 * time.Second
)

// Server is one IPP print queue, an http.Handler. It is safe for concurrent use.
type Server struct {
	cfg     Config
	auth    Authenticator
	spool   Spooler
	log     *slog.Logger
	metrics *Metrics
	started time.Time
	jobs    JobStore
	open    openJobs
	ops     map[goipp.Op]operation
	caps    atomic.Pointer[Capabilities]

	// plainLoopback accepts Basic credentials over plain HTTP from a
	// loopback peer. Always true, except in tests that drive the TLS
	// upgrade path from 127.0.0.1.
	plainLoopback bool
}

// NewServer returns the queue cfg describes. cfg must pass Validate and auth
// and spool must be set: NewServer panics otherwise, since a queue without
// them is a wiring mistake, not a run-time condition. A nil logger discards.
func NewServer(cfg Config, auth Authenticator, spool Spooler, logger *slog.Logger) *Server {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if auth == nil || spool == nil {
		panic("ipp: NewServer needs an Authenticator and a Spooler")
	}
	if cfg.MaxDocumentSize == 0 {
		cfg.MaxDocumentSize = DefaultMaxDocumentSize
	}
	if cfg.DefaultMedia == "" {
		cfg.DefaultMedia = MediaA4
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Jobs == nil {
		cfg.Jobs = NewMemoryJobs(maxRecentJobs)
	}
	s := &Server{
		cfg:           cfg,
		auth:          auth,
		spool:         spool,
		log:           logger,
		metrics:       cfg.Metrics,
		started:       time.Now(),
		jobs:          cfg.Jobs,
		ops:           operations(),
		plainLoopback: true,
	}
	s.SetCapabilities(cfg.Capabilities)
	return s
}

// SetCapabilities changes what the queue offers (when the site's printers
// change); requests already running keep what they read.
func (s *Server) SetCapabilities(c Capabilities) {
	s.caps.Store(&c)
}

func (s *Server) capabilities() Capabilities { return *s.caps.Load() }

// queuePath is the resource of the queue; "/" and "/ipp/print/" are aliases.
const queuePath = "/ipp/print"

func isQueuePath(p string) bool {
	return p == queuePath || p == queuePath+"/" || p == "/"
}

// ServeHTTP answers IPP over HTTP POST at /ipp/print (and the aliases), a
// small page for GET, and RFC 2817 upgrades to TLS for OPTIONS.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodOptions:
		s.serveOptions(w, r)
	case r.URL.Path == iconPath && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		serveIcon(w, r)
	case !isQueuePath(r.URL.Path):
		http.NotFound(w, r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.servePage(w, r)
	case r.Method == http.MethodPost:
		s.serveIPP(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Name}}</title></head>
<body><h1>{{.Name}}</h1>
<p>This is the edgeprint secure print queue {{.Name}}{{with .Location}} ({{.}}){{end}}.
Add it as a printer at <code>{{.URI}}</code>, print, and release your jobs at any printer.</p>
</body></html>
`))

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	data := struct{ Name, Location, URI string }{s.cfg.Name, s.cfg.Location, printerURI(r, r.TLS != nil)}
	if err := pageTemplate.Execute(w, data); err != nil {
		s.log.Debug("ipp: write page", "err", err)
	}
}
