package store

import (
	"context"
	"io"
	"time"
)

// The interfaces in this file are what lets several relay replicas share
// one store (package store/postgres) while a single relay keeps using the
// embedded one (package store/bolt): console sessions, rate limits,
// once-per-interval work, documents, and the way replicas find an agent's
// tunnel and talk to each other. A single embedded relay implements them
// for one process.

// SessionStore keeps console and portal sessions, so a user signed in on
// one replica is signed in on all. Part of Store.
type SessionStore interface {
	// CreateSession stores s; s.IDHash is the SHA-256 of the cookie value,
	// never the value itself.
	CreateSession(ctx context.Context, s Session) error
	// TouchSession returns the session whose id hash is idHash and sets its
	// LastUsed to now, in one step. A session unused for longer than idle
	// is deleted and reported as ErrNotFound, as is an unknown one.
	TouchSession(ctx context.Context, idHash []byte, now time.Time, idle time.Duration) (Session, error)
	// DeleteSession removes a session; an unknown one is not an error.
	DeleteSession(ctx context.Context, idHash []byte) error
	// PruneSessions deletes sessions last used before before.
	PruneSessions(ctx context.Context, before time.Time) (int, error)
}

// Session is a signed-in console or portal user.
type Session struct {
	IDHash    []byte    `json:"id_hash"`
	CompanyID string    `json:"company_id"`
	UserID    string    `json:"user_id"`
	Admin     bool      `json:"admin"`
	CSRF      string    `json:"csrf"` // the token every form of the session carries
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"last_used"`
}

// LimitStore keeps token buckets (rate limits on credential checks) that
// every replica spends from. Part of Store.
type LimitStore interface {
	// Limit looks at the bucket of key, which holds at most burst tokens
	// and gains one every every (a new key starts full). With spend it
	// takes one token and reports whether there was one; without, it only
	// reports whether one is there. The read and the change are atomic
	// across replicas.
	Limit(ctx context.Context, key string, every time.Duration, burst int, spend bool, now time.Time) (bool, error)
	// PruneLimits forgets buckets last changed before before (by then they
	// are full again, so forgetting changes nothing).
	PruneLimits(ctx context.Context, before time.Time) (int, error)
}

// RunStore lets replicas share periodic work. Part of Store.
type RunStore interface {
	// ClaimRun reports whether the caller should run the job called name
	// now: true for exactly one caller among all replicas once at least
	// every has passed since the last claim that returned true.
	ClaimRun(ctx context.Context, name string, every time.Duration, now time.Time) (bool, error)
}

// DocumentStore keeps encrypted job documents, one random key per document,
// streamed in and out: no backend holds a whole document in memory. The
// caller keeps the key (wrapped) in the job record. Part of Store.
type DocumentStore interface {
	// WriteDocument stores r's bytes under id, encrypted with a fresh key,
	// and returns the key and the plaintext size once the document is
	// durable. A reader error (for example http.MaxBytesError) is returned
	// wrapped and leaves nothing behind.
	WriteDocument(ctx context.Context, id string, r io.Reader) (key []byte, size int64, err error)
	// OpenDocument streams the plaintext of document id; ErrNotFound when
	// there is none. Tampering or truncation is a read error.
	OpenDocument(ctx context.Context, id string, key []byte) (io.ReadCloser, error)
	// RemoveDocument deletes document id; an unknown id is not an error.
	RemoveDocument(ctx context.Context, id string) error
	// DocumentIDs lists the documents stored before before, for the orphan
	// sweep (other replicas may be writing newer ones right now).
	DocumentIDs(ctx context.Context, before time.Time) ([]string, error)
}

// MaxMessage bounds one message between replicas.
const MaxMessage = 1 << 20

// ClusterStore is how replicas find an agent's tunnel and reach each
// other, without polling. Part of Store. Each opened Store is one replica
// with its own ReplicaID.
type ClusterStore interface {
	// ReplicaID names this replica (random, fixed for the Store's life).
	ReplicaID() string
	// Listen calls fn for every message sent to this replica (or to all),
	// one at a time in arrival order, until ctx is done or the store
	// closes. It returns once listening has begun; it may be called once.
	Listen(ctx context.Context, fn func(Message)) error
	// Send delivers payload (at most MaxMessage bytes) to replica to, or to
	// every live replica including this one when to is "". Sending to a
	// replica that is gone is not an error: nobody answers.
	Send(ctx context.Context, to string, payload []byte) error

	// PutTunnel records that t.AgentID's tunnel is on this replica now,
	// replacing wherever it was.
	PutTunnel(ctx context.Context, t Tunnel) error
	// DeleteTunnel forgets agentID's tunnel if it is still on this replica.
	DeleteTunnel(ctx context.Context, agentID string) error
	// Tunnels lists the tunnels of companyID's agents on live replicas,
	// by agent id. A replica that dies (its process killed) drops out of
	// the list within seconds, without another replica noticing first.
	Tunnels(ctx context.Context, companyID string) ([]Tunnel, error)
}

// Message is what one replica sent another.
type Message struct {
	From    string
	Payload []byte
}

// Tunnel is an agent's open tunnel and the replica holding it.
type Tunnel struct {
	AgentID   string    `json:"agent_id"`
	CompanyID string    `json:"company_id"`
	Replica   string    `json:"replica"`
	Domains   []string  `json:"domains,omitempty"` // directory domains the agent serves
	Since     time.Time `json:"since"`
}

// ExportStore reads and writes what the other parts of Store cannot, so
// `edgeprint relay migrate` can copy one store into another. Part of Store.
type ExportStore interface {
	// Tokens lists a company's API tokens by creation time.
	Tokens(ctx context.Context, companyID string) ([]Token, error)
	// ActivationCodes lists a company's activation codes by creation time.
	ActivationCodes(ctx context.Context, companyID string) ([]ActivationCode, error)
	// ImportAgent stores a as it is (no activation code); a conflict if the
	// id is taken.
	ImportAgent(ctx context.Context, a Agent) error
}
