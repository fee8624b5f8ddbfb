package eipauth

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/netip"
	"time"
)

// User is who logged in at a panel.
type User struct {
	ID              string   `json:"id"`
	Email           string   `json:"email"`
	Name            string   `json:"name"`
	AccountingCodes []string `json:"accounting_codes,omitempty"`
}

// Printer is an enabled printer the agent serves.
type Printer struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Job is a held job as the SSO API lists it.
type Job struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Format  string    `json:"format,omitempty"`
	Size    int64     `json:"size,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// Errors the agent's implementations return.
var (
	// ErrDenied: unknown card, wrong password, a job not the user's.
	ErrDenied = errors.New("eipauth: denied")
	// ErrUnknownPrinter: no enabled printer at that address or id.
	ErrUnknownPrinter = errors.New("eipauth: unknown printer")
)

// Printers finds the enabled printer at a source address or by id.
type Printers interface {
	PrinterFor(key string) (Printer, error)
}

// Authenticator checks a username and password against the company's
// accounts (relay or LDAP). Wrong credentials are ErrDenied.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (User, error)
}

// CardResolver finds a badge's owner; an unknown badge is ErrDenied.
type CardResolver interface {
	CardOwner(ctx context.Context, card string) (User, error)
}

// JobService lists, releases and deletes one user's held jobs. A job that
// is not the user's is ErrDenied.
type JobService interface {
	Jobs(ctx context.Context, u User) ([]Job, error)
	Release(ctx context.Context, u User, p Printer, jobID string) error
	Delete(ctx context.Context, u User, jobID string) error
}

// Releaser sends a user's held jobs to the printer they logged in at, if
// the company turned auto-release on. It must not block the login answer.
type Releaser interface {
	AutoRelease(u User, p Printer)
}

// Event is one login attempt, for the audit log.
type Event struct {
	Time      time.Time `json:"time"`
	Interface string    `json:"interface"` // panel, portal, sso
	Method    string    `json:"method"`    // badge, password, unlock, token, logout
	Printer   string    `json:"printer,omitempty"`
	User      string    `json:"user,omitempty"` // id, or what was typed when unknown
	Result    string    `json:"result"`         // accepted, denied, rate-limited, error
	Remote    string    `json:"remote,omitempty"`
}

// Config is what a Service needs.
type Config struct {
	Printers      Printers
	Authenticator Authenticator
	Cards         CardResolver
	Jobs          JobService
	Releaser      Releaser // nil: no auto-release
	// Audit receives every login attempt; nil logs them with audit=true.
	Audit func(Event)
	// Title and Prompt are shown on the blocking screen; defaults below.
	Title, Prompt string
	// OverrideFrom are the source addresses that may name the printer
	// explicitly (PrinterHeader or PrinterId): a NAT gateway or a proxy in
	// front of printers. nil allows loopback only.
	OverrideFrom []netip.Prefix
	// PortalURL is where users type unlock codes, shown in the prompt.
	PortalURL string
	Metrics   *Metrics
	Logger    *slog.Logger
}

// Service holds the panel sessions of every printer, the unlock codes and
// the SSO signing key, and serves Convenience Authentication and SSO.
type Service struct {
	cfg      Config
	log      *slog.Logger
	sessions *sessions
	codes    *Codes
	key      []byte // SSO token signing key, new at every start
}

// New makes a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Title == "" {
		cfg.Title = "Secure Print"
	}
	if cfg.Prompt == "" {
		cfg.Prompt = "Swipe your badge, sign in, or enter the code below in the print portal"
	}
	key := make([]byte, 32)
	rand.Read(key)
	return &Service{cfg: cfg, log: cfg.Logger, sessions: newSessions(), codes: NewCodes(), key: key}
}

// Codes are the printers' unlock codes.
func (s *Service) Codes() *Codes { return s.codes }

func (s *Service) audit(e Event) {
	e.Time = time.Now().UTC()
	s.cfg.Metrics.logins.WithLabelValues(e.Interface, e.Method, e.Result).Inc()
	if s.cfg.Audit != nil {
		s.cfg.Audit(e)
		return
	}
	s.log.Info("login attempt", "audit", true, "interface", e.Interface, "method", e.Method,
		"printer", e.Printer, "user", e.User, "result", e.Result, "remote", e.Remote)
}
