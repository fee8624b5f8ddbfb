package relay

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/cardreader"
	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// claimWindow is how long after swiping an unknown badge its holder may
	// claim it from the console.
	claimWindow = 10 * time.Minute
)

// swipeReport is POST /agent/v1/swipes.
type swipeReport struct {
	Time          time.Time `json:"time"`
	ReaderAddress string    `json:"reader_address"`
	Model         string    `json:"model"`
	PrinterID     string    `json:"printer_id"`
	UserID        string    `json:"user_id"`
	Outcome       string    `json:"outcome"`
	Jobs          int       `json:"jobs"`
	CardMasked    string    `json:"card_masked"`
	// Card is sent only for outcome "unknown", so the holder can claim it.
	Card string `json:"card,omitempty"`
}

func validOutcome(o string) bool {
	switch o {
	case store.SwipeReleased, store.SwipeNoJobs, store.SwipeUnknown, store.SwipeNoPrinter,
		store.SwipeNoCard, store.SwipeDebounced, store.SwipeFailed, store.SwipeOffline:
		return true
	}
	return false
}

// agentSwipe records a swipe in the audit and, for an unknown card, keeps
// the card (sealed) for claimWindow so its holder can claim it.
func (s *Server) agentSwipe(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	var req swipeReport
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if !validOutcome(req.Outcome) {
		return badRequest("outcome %q is not known", req.Outcome)
	}
	now := time.Now().UTC()
	if req.Time.IsZero() || req.Time.After(now.Add(time.Minute)) {
		req.Time = now
	}
	ctx := r.Context()
	reader, err := s.readerAt(ctx, a.CompanyID, req.ReaderAddress)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.audit(ctx, store.AuditEvent{CompanyID: a.CompanyID, Kind: store.EventSwipe, Channel: store.ChannelReader,
		Time: req.Time.UTC(), AgentID: a.ID, UserID: cleanText(req.UserID, 64), Outcome: req.Outcome,
		Actor:  maskCard(cleanText(req.CardMasked, 64)),
		Detail: swipeDetail(cleanText(req.ReaderAddress, 64), reader.ID, cleanText(req.PrinterID, 64), max(req.Jobs, 0))})
	if req.Outcome == store.SwipeUnknown && req.Card != "" && reader.ID != "" {
		if err := s.keepUnknownCard(ctx, a, reader, req.Card, req.Time.UTC()); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readerAt finds the company's reader at addr.
func (s *Server) readerAt(ctx context.Context, companyID, addr string) (store.Reader, error) {
	rs, err := s.store.Readers(ctx, companyID)
	if err != nil {
		return store.Reader{}, err
	}
	for _, rd := range rs {
		if rd.Address == addr {
			return rd, nil
		}
	}
	return store.Reader{}, store.ErrNotFound
}

func (s *Server) keepUnknownCard(ctx context.Context, a store.Agent, reader store.Reader, card string, seen time.Time) error {
	n, err := store.NormalizeCard(card)
	if err != nil {
		return badRequest("card: %v", err)
	}
	if _, err := s.store.UserByCard(ctx, a.CompanyID, n); err == nil {
		return nil // claimed or added since the agent looked
	}
	id := s.cardHash(a.CompanyID, n)
	sealed, err := s.keys.wrap([]byte(n), a.CompanyID, "unknown-card:"+id)
	if err != nil {
		return err
	}
	return s.store.PutUnknownCard(ctx, store.UnknownCard{ID: id, CompanyID: a.CompanyID, ReaderID: reader.ID,
		ReaderAddress: reader.Address, AgentID: a.ID, CardHash: []byte(id), SealedCard: sealed, Masked: maskCard(n), Seen: seen})
}

// cardHash names an unknown card without revealing it: HMAC-SHA-256 under
// a key derived from the master key, so the card space (small) cannot be
// searched from a copy of the database alone.
func (s *Server) cardHash(companyID, card string) string {
	m := hmac.New(sha256.New, s.keys.derive("edgeprint unknown card hash"))
	m.Write([]byte(companyID + "\x00" + card))
	return hex.EncodeToString(m.Sum(nil))
}

// maskCard keeps only the last four characters of a card longer than
// four; a card the agent masked already ("****1234") keeps its tail.
func maskCard(card string) string {
	if rest := strings.TrimLeft(card, "*"); rest != card {
		return "****" + rest[max(0, len(rest)-4):]
	}
	if len(card) <= 4 {
		return "****"
	}
	return "****" + card[len(card)-4:]
}

// swipeDetail says where a swipe happened, for the audit log.
func swipeDetail(readerAddr, readerID, printerID string, jobs int) string {
	return fmt.Sprintf("reader %s (%s), printer %s, %d job(s)", readerAddr, readerID, printerID, jobs)
}

// Claim errors, in the user's terms.
var (
	errNothingToClaim = errorf(http.StatusNotFound, "no unknown badge was swiped at that reader in the last 10 minutes: swipe it again, then claim it")
	errClaimAmbiguous = errorf(http.StatusConflict, "several unknown badges were swiped at that reader: swipe yours again and claim it at once")
)

// claimCard attaches to userID the one unknown card swiped at readerID
// within claimWindow. The caller has proved the user's identity (a console
// session started with their password); nothing here takes a user id from
// the request.
func (s *Server) claimCard(ctx context.Context, companyID, userID, readerID string, now time.Time) (string, error) {
	if _, err := s.store.User(ctx, companyID, userID); err != nil {
		return "", err
	}
	cards, err := s.store.UnknownCards(ctx, companyID, readerID, now.Add(-claimWindow))
	if err != nil {
		return "", err
	}
	switch {
	case len(cards) == 0:
		return "", errNothingToClaim
	case len(cards) > 1:
		return "", errClaimAmbiguous
	}
	c := cards[0]
	raw, err := s.keys.unwrap(c.SealedCard, companyID, "unknown-card:"+c.ID)
	if err != nil {
		return "", err
	}
	if _, err := s.store.ClaimCard(ctx, c, userID, string(raw)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", errorf(http.StatusConflict, "that badge already belongs to someone")
		}
		if errors.Is(err, store.ErrNotFound) {
			return "", errNothingToClaim
		}
		return "", err
	}
	s.audit(ctx, store.AuditEvent{CompanyID: companyID, Kind: store.EventClaim, Channel: store.ChannelPortal,
		UserID: userID, Actor: c.Masked, Outcome: store.OutcomeOK, Detail: "reader " + c.ReaderAddress + " (" + readerID + ")"})
	s.log.Info("badge claimed", "company", companyID, "user", userID, "reader", readerID, "card", c.Masked)
	return c.Masked, nil
}

// pruneUnknownCards drops unknown cards past the claim window; it runs
// with the retention sweep.
func (s *Server) pruneUnknownCards(ctx context.Context, now time.Time) {
	if n, err := s.store.PruneUnknownCards(ctx, now.Add(-claimWindow)); err != nil && ctx.Err() == nil {
		s.log.Error("prune unknown cards", "err", err)
	} else if n > 0 {
		s.log.Debug("unknown cards expired", "count", n)
	}
}

// readerOptions checks a reader's badge-release settings.
func readerOptions(model string, o store.ReaderOptions) (store.ReaderOptions, error) {
	switch o.Mode {
	case "":
		o.Mode = store.ReaderClient
	case store.ReaderClient, store.ReaderServer:
	default:
		return o, badRequest("mode must be %q or %q", store.ReaderClient, store.ReaderServer)
	}
	if o.Mode == store.ReaderClient && o.Port != 0 {
		return o, badRequest("port applies to mode server only")
	}
	if o.Mode == store.ReaderServer && o.Port == 0 {
		o.Port = cardreader.Models[model].Port
	}
	if o.Port < 0 || o.Port > 65535 {
		return o, badRequest("port must be 1 to 65535")
	}
	switch o.Release {
	case "":
		o.Release = store.ReleaseAll
	case store.ReleaseAll, store.ReleaseOldest:
	default:
		return o, badRequest("release must be %q or %q", store.ReleaseAll, store.ReleaseOldest)
	}
	if len(o.Conversion) > 0 {
		if _, err := cardreader.ParseChain(o.Conversion); err != nil {
			return o, badRequest("conversion: %v", err)
		}
	}
	return o, nil
}
