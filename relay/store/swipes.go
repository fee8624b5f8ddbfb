package store

import (
	"context"
	"encoding/json"
	"time"
)

// SwipeStore keeps what card readers saw: the swipe audit and the unknown
// cards users may claim. Part of Store.
type SwipeStore interface {
	// AddAudit appends an audit record; a.ID and a.Time must be set.
	AddAudit(ctx context.Context, a AuditRecord) error
	// Audit lists a company's records, newest first, at most f.Limit.
	Audit(ctx context.Context, companyID string, f AuditFilter) ([]AuditRecord, error)

	// PutUnknownCard records (or refreshes) an unknown card swiped at a
	// reader; the record is keyed by company, reader and card hash, so the
	// same card swiped again moves its Seen time.
	PutUnknownCard(ctx context.Context, c UnknownCard) error
	// UnknownCards lists the unknown cards seen at readerID at or after
	// since, newest first.
	UnknownCards(ctx context.Context, companyID, readerID string, since time.Time) ([]UnknownCard, error)
	// ClaimCard attaches card (normalised here) to user userID and deletes
	// the unknown-card record c, in one transaction. It returns
	// ErrNotFound if c or the user is gone, and a conflict if the card
	// belongs to someone already.
	ClaimCard(ctx context.Context, c UnknownCard, userID, card string) (User, error)
	// PruneUnknownCards deletes unknown-card records seen before before.
	PruneUnknownCards(ctx context.Context, before time.Time) (int, error)
}

// Audit record types.
const (
	AuditSwipe = "swipe"
)

// Swipe outcomes, as agents report them.
const (
	SwipeReleased  = "released"   // jobs sent to the printer
	SwipeNoJobs    = "no_jobs"    // known user, nothing held
	SwipeUnknown   = "unknown"    // nobody owns the card
	SwipeNoPrinter = "no_printer" // reader without a usable printer
	SwipeNoCard    = "no_card"    // the line did not convert to a card number
	SwipeDebounced = "debounced"  // a repeat of a swipe just handled
	SwipeFailed    = "failed"     // jobs found, none printed
	SwipeOffline   = "offline"    // relay unreachable and card not cached
)

// AuditRecord is one audited event. Detail carries what a type needs
// beyond the common fields, so new types need no schema change.
type AuditRecord struct {
	ID        string    `json:"id"`
	CompanyID string    `json:"company_id"`
	Type      string    `json:"type"`
	Time      time.Time `json:"time"`
	AgentID   string    `json:"agent_id,omitempty"`
	UserID    string    `json:"user_id,omitempty"`
	Outcome   string    `json:"outcome"`
	// Swipe fields.
	ReaderID      string          `json:"reader_id,omitempty"`
	ReaderAddress string          `json:"reader_address,omitempty"`
	PrinterID     string          `json:"printer_id,omitempty"`
	CardMasked    string          `json:"card,omitempty"` // last digits only
	Jobs          int             `json:"jobs,omitempty"`
	Detail        json.RawMessage `json:"detail,omitempty"`
}

// AuditFilter narrows Audit; zero fields match everything.
type AuditFilter struct {
	Type   string
	Since  time.Time
	UserID string
	Limit  int // 0: no limit
}

// Match reports whether a passes f (Limit aside).
func (f AuditFilter) Match(a AuditRecord) bool {
	return (f.Type == "" || a.Type == f.Type) &&
		(f.Since.IsZero() || !a.Time.Before(f.Since)) &&
		(f.UserID == "" || a.UserID == f.UserID)
}

// UnknownCard is a card nobody owns, swiped at a reader. The number itself
// is kept only sealed with the relay's master key; CardHash (keyed) tells
// repeats apart and Masked is for display.
type UnknownCard struct {
	ID            string    `json:"id"` // hex of CardHash
	CompanyID     string    `json:"company_id"`
	ReaderID      string    `json:"reader_id"`
	ReaderAddress string    `json:"reader_address"`
	AgentID       string    `json:"agent_id"`
	CardHash      []byte    `json:"card_hash"`
	SealedCard    []byte    `json:"sealed_card"`
	Masked        string    `json:"masked"`
	Seen          time.Time `json:"seen"`
}

// Reader connection modes.
const (
	ReaderClient = "client" // the reader connects to the agent (default)
	ReaderServer = "server" // the agent dials the reader at Address:Port
)

// Release policies of a reader.
const (
	ReleaseAll    = "all"    // every held job of the user (default)
	ReleaseOldest = "oldest" // one job per swipe, the oldest
)

// ReaderOptions are a reader's badge-release settings; zero values are the
// defaults (client mode, release all, no feedback, the model's chain).
type ReaderOptions struct {
	Mode       string          `json:"mode,omitempty"`
	Port       int             `json:"port,omitempty"`       // server mode: the reader's port; 0 is the model's
	Conversion json.RawMessage `json:"conversion,omitempty"` // cardreader chain, JSON list of steps
	Release    string          `json:"release,omitempty"`
	Feedback   bool            `json:"feedback,omitempty"`
}
