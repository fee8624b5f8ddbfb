package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound is returned when no record matches, including a record that
	// exists but belongs to another company.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a unique key is already taken; the
	// returned error is a *ConflictError naming the key.
	ErrConflict = errors.New("store: already exists")
	// ErrCodeUnusable is returned by RegisterAgent when the activation code is
	// unknown, belongs to another company, is used or has expired. The cases
	// are not told apart: the caller answers all of them the same way.
	ErrCodeUnusable = errors.New("store: activation code unknown, used or expired")
	// ErrInUse is returned by Open when another process holds the store.
	ErrInUse = errors.New("relay data dir is in use: stop the relay first")
)

// ConflictError names the unique key that a create would have duplicated.
type ConflictError struct {
	What string // "company code", "email", "card 04A1B2", "job", ...
}

func (e *ConflictError) Error() string { return e.What + " already exists" }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Store is the relay's database. Implementations are safe for concurrent use.
// Get methods return ErrNotFound; create methods return a *ConflictError
// (ErrConflict) when a unique key is taken. Update methods run fn inside one
// transaction on a copy of the record and store it if fn returns nil; fn must
// not block or call the store. Lists are never nil and are ordered: users by
// email, printers by name, readers by address, agents by name, jobs by
// creation time; ties by id.
type Store interface {
	// Ping reports whether the store can serve reads.
	Ping(ctx context.Context) error
	Close() error

	CreateCompany(ctx context.Context, c Company) error
	Company(ctx context.Context, id string) (Company, error)
	CompanyByCode(ctx context.Context, code string) (Company, error)
	Companies(ctx context.Context) ([]Company, error)
	UpdateCompany(ctx context.Context, id string, fn func(*Company) error) (Company, error)

	// CreateUser also indexes the user's email and cards; any of them
	// already taken in the company is a conflict.
	CreateUser(ctx context.Context, u User) error
	User(ctx context.Context, companyID, id string) (User, error)
	UserByEmail(ctx context.Context, companyID, email string) (User, error)
	UserByCard(ctx context.Context, companyID, card string) (User, error)
	Users(ctx context.Context, companyID string) ([]User, error)
	// UpdateUser changes a user through fn and re-indexes their email and
	// cards; one taken by another user of the company is a conflict. The
	// id and company cannot change.
	UpdateUser(ctx context.Context, companyID, id string, fn func(*User) error) (User, error)

	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash []byte) (Token, error)

	CreateActivationCode(ctx context.Context, c ActivationCode) error
	// RegisterAgent burns the activation code whose hash is codeHash and
	// creates a, in one transaction. The code must belong to a.CompanyID,
	// be unused and expire after now; otherwise it returns ErrCodeUnusable
	// and changes nothing.
	RegisterAgent(ctx context.Context, codeHash []byte, now time.Time, a Agent) error
	// Agent looks an agent up by its id alone: the tunnel handshake uses it
	// to learn which company the agent belongs to.
	Agent(ctx context.Context, id string) (Agent, error)
	Agents(ctx context.Context, companyID string) ([]Agent, error)
	TouchAgent(ctx context.Context, id string, seen time.Time) error
	// UpdateAgent changes an agent of companyID; its id, company, machine
	// and secret cannot change.
	UpdateAgent(ctx context.Context, companyID, id string, fn func(*Agent) error) (Agent, error)

	CreatePrinter(ctx context.Context, p Printer) error
	Printer(ctx context.Context, companyID, id string) (Printer, error)
	Printers(ctx context.Context, companyID string) ([]Printer, error)
	// UpdatePrinter changes the printer id of companyID through fn, in one
	// transaction; its id and company stay.
	UpdatePrinter(ctx context.Context, companyID, id string, fn func(*Printer) error) (Printer, error)

	// CreateReader returns ErrNotFound when r.PrinterID is not a printer of
	// r.CompanyID.
	CreateReader(ctx context.Context, r Reader) error
	Readers(ctx context.Context, companyID string) ([]Reader, error)

	// CreateJob returns a conflict when the company already has a job with
	// that id: agents re-upload after a lost answer, and the first copy wins.
	CreateJob(ctx context.Context, j Job) error
	Job(ctx context.Context, companyID, id string) (Job, error)
	Jobs(ctx context.Context, companyID string, f JobFilter) ([]Job, error)
	UpdateJob(ctx context.Context, companyID, id string, fn func(*Job) error) (Job, error)

	SwipeStore
	// The audit log and sites (events.go, sites.go).
	EventStore
	SiteStore
	// What replicas share, and what `relay migrate` copies (cluster.go).
	SessionStore
	LimitStore
	RunStore
	DocumentStore
	ClusterStore
	ExportStore
}

// Retention is how long a company's documents are kept.
type Retention string

const (
	// RetentionImmediate deletes a document as soon as it is printed;
	// unprinted documents are kept for MaxRetention.
	RetentionImmediate Retention = "immediate"
	RetentionOneDay    Retention = "1d"
	RetentionSevenDays Retention = "7d"
)

// MaxRetention bounds every document's life, printed or not.
const MaxRetention = 7 * 24 * time.Hour

// Valid reports whether r is one of the known policies.
func (r Retention) Valid() bool {
	return r == RetentionImmediate || r == RetentionOneDay || r == RetentionSevenDays
}

// MaxAge is how long after it was stored a document may be kept under r.
func (r Retention) MaxAge() time.Duration {
	if r == RetentionOneDay {
		return 24 * time.Hour
	}
	return MaxRetention
}

// Company authentication types: every login of the company's users is
// checked one way.
const (
	// AuthLocal: users and passwords kept by the relay.
	AuthLocal = "local"
	// AuthLDAP: the company's directory, asked through the agent that
	// serves the user's domain; the relay keeps no password.
	AuthLDAP = "ldap"
)

// Company is a tenant.
type Company struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"` // unique, upper case
	Name      string    `json:"name"`
	Retention Retention `json:"retention"`
	AuthType  string    `json:"auth_type"`
	Created   time.Time `json:"created"`

	// DefaultDomain is the directory domain of logins that name none
	// (AuthLDAP).
	DefaultDomain string `json:"default_domain,omitempty"`
	// UpdatesOff stops every agent of the company from updating itself.
	UpdatesOff bool `json:"updates_off,omitempty"`

	// Settings the console shows (settings.go in package relay): print
	// a user's held jobs as soon as they sign in at a printer, and refuse
	// printing without holding.
	AutoRelease         bool `json:"auto_release,omitempty"`
	SecurePrintRequired bool `json:"secure_print_required,omitempty"`
}

// User is a person who prints; Admin users also manage their company.
type User struct {
	ID           string    `json:"id"`
	CompanyID    string    `json:"company_id"`
	Email        string    `json:"email"` // unique in the company, lower case
	Name         string    `json:"name"`
	PasswordHash string    `json:"password_hash,omitempty"` // argon2id PHC string; empty: no password login
	Cards        []string  `json:"cards,omitempty"`         // normalised, unique in the company
	Admin        bool      `json:"admin"`
	Created      time.Time `json:"created"`

	// DirectoryDN is set for a user the company's directory manages.
	DirectoryDN string `json:"directory_dn,omitempty"`
}

// Token is an admin API token; only the SHA-256 of the token is kept.
type Token struct {
	Hash      []byte    `json:"hash"`
	CompanyID string    `json:"company_id"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
}

// ActivationCode lets one agent register; only its SHA-256 is kept.
type ActivationCode struct {
	Hash      []byte    `json:"hash"`
	CompanyID string    `json:"company_id"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	Used      bool      `json:"used"`
}

// Agent is a registered site agent.
type Agent struct {
	ID          string    `json:"id"`
	CompanyID   string    `json:"company_id"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	MachineHash string    `json:"machine_hash"` // lower-case hex SHA-256 the agent registered with
	SecretHash  []byte    `json:"secret_hash"`  // SHA-256 of the agent secret
	Registered  time.Time `json:"registered"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
	// UpdatesOff stops this agent from updating itself.
	UpdatesOff bool `json:"updates_off,omitempty"`
}

// Printer protocols.
const (
	ProtocolRaw9100 = "raw9100"
	ProtocolLPR     = "lpr"
)

// Printer is a device jobs are released to.
type Printer struct {
	ID        string    `json:"id"`
	CompanyID string    `json:"company_id"`
	SiteID    string    `json:"site_id,omitempty"` // a Site of the company, or none
	Name      string    `json:"name"`
	Address   string    `json:"address"`
	Port      int       `json:"port"`
	Protocol  string    `json:"protocol"`
	Queue     string    `json:"queue,omitempty"`
	Enabled   bool      `json:"enabled"`
	Created   time.Time `json:"created"`
	// Source is PrinterManual ("") or PrinterDiscovered.
	Source string `json:"source,omitempty"`
	// AgentID is the agent that discovered the printer.
	AgentID string `json:"agent_id,omitempty"`
	// Discovery is what the agent last reported about the device.
	Discovery *Discovery `json:"discovery,omitempty"`
}

// Printer sources.
const (
	PrinterManual     = ""
	PrinterDiscovered = "discovered"
)

// Discovery is a printer's identity, capabilities and state as an agent
// discovered them (docs/agent-protocol.md, PUT /agent/v1/printers).
type Discovery struct {
	Manufacturer   string    `json:"manufacturer,omitempty"`
	Model          string    `json:"model,omitempty"`
	Serial         string    `json:"serial,omitempty"`
	MAC            string    `json:"mac,omitempty"`
	Location       string    `json:"location,omitempty"`
	Color          *bool     `json:"color,omitempty"`
	Duplex         *bool     `json:"duplex,omitempty"`
	Languages      []string  `json:"languages,omitempty"`
	Status         string    `json:"status,omitempty"`
	Errors         []string  `json:"errors,omitempty"`
	Supplies       []Supply  `json:"supplies,omitempty"`
	PageCount      *int64    `json:"page_count,omitempty"`
	ColorPageCount *int64    `json:"color_page_count,omitempty"`
	MonoPageCount  *int64    `json:"mono_page_count,omitempty"`
	LastSeen       time.Time `json:"last_seen"`
}

// Supply is a toner, ink, drum or other consumable of a printer.
type Supply struct {
	Name    string `json:"name"`
	Color   string `json:"color,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Percent *int   `json:"percent,omitempty"`
	Level   int    `json:"level"`
	Max     int    `json:"max"`
}

// Card reader models.
const (
	ReaderElatecTCPConv  = "elatec-tcpconv"
	ReaderElatecTCPConv2 = "elatec-tcpconv2"
	ReaderRFIDeas241     = "rfideas-241"
)

// Reader is a network card reader beside a printer.
type Reader struct {
	ID        string    `json:"id"`
	CompanyID string    `json:"company_id"`
	Model     string    `json:"model"`
	Address   string    `json:"address"`
	PrinterID string    `json:"printer_id"`
	Created   time.Time `json:"created"`
	// Badge release settings (swipes.go): connection mode, conversion
	// chain, release policy and feedback.
	ReaderOptions
}

// JobState is where a job is in its life.
type JobState string

const (
	JobHeld    JobState = "held"
	JobPrinted JobState = "printed"
	JobFailed  JobState = "failed"
	JobDeleted JobState = "deleted" // the document expired unprinted
)

// Valid reports whether s is a known state.
func (s JobState) Valid() bool {
	return s == JobHeld || s == JobPrinted || s == JobFailed || s == JobDeleted
}

// Job is a held print job. The id is the one the receiving agent gave it,
// unique within the company.
type Job struct {
	ID        string    `json:"id"`
	CompanyID string    `json:"company_id"`
	UserID    string    `json:"user_id"`
	AgentID   string    `json:"agent_id"`
	Name      string    `json:"name"`
	Format    string    `json:"format"`
	Size      int64     `json:"size"`
	State     JobState  `json:"state"`
	Created   time.Time `json:"created"` // when the agent received it
	Stored    time.Time `json:"stored"`  // when the relay stored it; retention counts from here
	Printed   time.Time `json:"printed,omitzero"`
	PrinterID string    `json:"printer_id,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	// DocID names the document in the docstore; empty once it is deleted.
	DocID string `json:"doc_id,omitempty"`
	// WrappedKey is the document key sealed with the relay master key.
	WrappedKey []byte `json:"wrapped_key,omitempty"`
}

// HasDocument reports whether the job's document is still kept.
func (j Job) HasDocument() bool { return j.DocID != "" }

// JobFilter narrows Jobs; zero fields match everything.
type JobFilter struct {
	UserID string
	State  JobState
	// WithDocument keeps only jobs whose document is still kept.
	WithDocument bool
	// StoredBefore keeps only jobs stored before this instant.
	StoredBefore time.Time
}

// Match reports whether j passes f.
func (f JobFilter) Match(j Job) bool {
	return (f.UserID == "" || j.UserID == f.UserID) &&
		(f.State == "" || j.State == f.State) &&
		(!f.WithDocument || j.HasDocument()) &&
		(f.StoredBefore.IsZero() || j.Stored.Before(f.StoredBefore))
}
