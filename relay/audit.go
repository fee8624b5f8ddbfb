package relay

import (
	"context"
	"errors"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// audit appends e to its company's audit log, stamped now unless e says
// when it happened (an agent's report). The log is
// best effort from the caller's view: a failed write is logged and the
// request goes on, so a full disk does not lock everybody out.
func (s *Server) audit(ctx context.Context, e store.AuditEvent) {
	e.ID = newID()
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if err := s.store.AppendEvent(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit log", "company", e.CompanyID, "kind", e.Kind, "err", err)
	}
}

// auditLogin records a credential check. The actor is what was typed as
// the name, trimmed and bounded; the password never reaches this far.
func (s *Server) auditLogin(ctx context.Context, companyID, channel, actor, userID, remote string, err error) {
	s.audit(ctx, store.AuditEvent{CompanyID: companyID, Kind: store.EventLogin, Channel: channel,
		Actor: cleanText(actor, 256), UserID: userID, Remote: remote, Outcome: loginOutcome(err)})
}

// auditLoginByCode is auditLogin for a company named by the code typed at
// the login; an unknown code has no company log to go to.
func (s *Server) auditLoginByCode(ctx context.Context, code, channel, actor, userID, remote string, err error) {
	c, cerr := s.store.CompanyByCode(ctx, code)
	if cerr != nil {
		return
	}
	s.auditLogin(ctx, c.ID, channel, actor, userID, remote, err)
}

// errRateLimited marks a login refused by the rate limit for loginOutcome.
var errRateLimited = errors.New("rate limited")

func loginOutcome(err error) string {
	switch {
	case err == nil:
		return store.OutcomeOK
	case errors.Is(err, errRateLimited):
		return store.OutcomeLimited
	case errors.Is(err, errDirectoryUnavailable):
		return store.OutcomeUnavailable
	}
	return store.OutcomeRefused
}

// purgeAudit deletes audit events older than store.AuditRetention.
func (s *Server) purgeAudit(ctx context.Context, now time.Time) {
	n, err := s.store.PurgeEvents(ctx, now.Add(-store.AuditRetention))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("audit purge", "err", err)
		}
		return
	}
	if n > 0 {
		s.log.Info("audit events purged", "count", n)
	}
}

// auditAgentLogin records a user checked by an agent (IPP, printer panel).
func (s *Server) auditAgentLogin(ctx context.Context, a store.Agent, username, userID string, err error) {
	s.audit(ctx, store.AuditEvent{CompanyID: a.CompanyID, Kind: store.EventLogin, Channel: store.ChannelAgent,
		Actor: cleanText(username, 256), UserID: userID, AgentID: a.ID, Outcome: loginOutcome(err)})
}
