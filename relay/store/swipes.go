package store

import (
	"context"
	"encoding/json"
	"time"
)

// SwipeStore keeps the unknown cards users may claim; the swipes
// themselves go to the audit log (EventSwipe). Part of Store.
type SwipeStore interface {
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

// Swipe outcomes, as agents report them and the audit log keeps them.
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
