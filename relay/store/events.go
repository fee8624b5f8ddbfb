package store

import (
	"context"
	"time"
)

// AuditRetention is how long audit events are kept: the design asks for
// one year of every login, from every interface.
const AuditRetention = 365 * 24 * time.Hour

// EventStore is the company audit log: logins from the console, the API
// (agent registration) and the agents' user checks, and admin changes.
// Part of Store.
type EventStore interface {
	// AppendEvent adds e; e.ID and e.Time must be set, and e.CompanyID
	// must name a company.
	AppendEvent(ctx context.Context, e AuditEvent) error
	// Events lists a company's events, newest first, at most f.Limit.
	Events(ctx context.Context, companyID string, f EventFilter) ([]AuditEvent, error)
	// PurgeEvents deletes every company's events older than before and
	// returns how many went.
	PurgeEvents(ctx context.Context, before time.Time) (int, error)
}

// Audit event kinds.
const (
	EventLogin  = "login"      // a credential check: console, API registration, agent user auth
	EventLogout = "logout"     // a console sign-out or idle time-out
	EventAdmin  = "admin"      // an admin changed something
	EventJob    = "job"        // a user deleted or released a job from the portal
	EventSwipe  = "swipe"      // a badge swiped at a card reader (outcome: Swipe*)
	EventClaim  = "card_claim" // a user attached a badge they had just swiped
)

// Login channels.
const (
	ChannelConsole = "console" // the relay's sign-in page
	ChannelAPI     = "api"     // POST /api/v1/agents/register with admin credentials
	ChannelAgent   = "agent"   // a user checked by an agent (IPP, panel)
	ChannelPortal  = "portal"  // the user portal
	ChannelReader  = "reader"  // a network card reader, through its agent
)

// Outcomes.
const (
	OutcomeOK          = "ok"
	OutcomeRefused     = "refused"      // wrong credentials
	OutcomeLimited     = "rate_limited" // too many attempts: locked out for now
	OutcomeUnavailable = "unavailable"  // directory unreachable
)

// AuditEvent is one entry of the audit log. It never holds a password or
// a secret: Actor is what the person typed as their name (email or
// username), the rest is identifiers.
type AuditEvent struct {
	ID        string    `json:"id"`
	CompanyID string    `json:"company_id"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	Channel   string    `json:"channel,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	UserID    string    `json:"user_id,omitempty"`
	AgentID   string    `json:"agent_id,omitempty"`
	Outcome   string    `json:"outcome"`
	Remote    string    `json:"remote,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// EventFilter narrows Events; zero fields match everything.
type EventFilter struct {
	Kind    string
	Outcome string
	Channel string
	UserID  string
	// Actor matches events whose Actor contains it (case-insensitive).
	Actor string
	Since time.Time // at or after
	Until time.Time // before
	Limit int       // 0: no limit
}

// Match reports whether e passes f (Limit aside).
func (f EventFilter) Match(e AuditEvent) bool {
	return (f.Kind == "" || e.Kind == f.Kind) &&
		(f.Outcome == "" || e.Outcome == f.Outcome) &&
		(f.Channel == "" || e.Channel == f.Channel) &&
		(f.UserID == "" || e.UserID == f.UserID) &&
		(f.Actor == "" || containsFold(e.Actor, f.Actor)) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since)) &&
		(f.Until.IsZero() || e.Time.Before(f.Until))
}
