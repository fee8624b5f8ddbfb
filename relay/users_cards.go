package relay

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/edgeprint/edgeprint/relay/store"
)

// setCards replaces the cards of user id of companyID (at most maxCards,
// normalised; none to remove them all). A card another user of the
// company holds is a conflict.
func (s *Server) setCards(ctx context.Context, companyID, actorID, id string, cards []string) (store.User, error) {
	if len(cards) > maxCards {
		return store.User{}, badRequest("at most %d cards per user", maxCards)
	}
	norm := []string{}
	seen := map[string]bool{}
	for _, c := range cards {
		if strings.TrimSpace(c) == "" {
			continue
		}
		n, err := store.NormalizeCard(c)
		if err != nil {
			return store.User{}, badRequest("card %q: %v", c, err)
		}
		if !seen[n] {
			seen[n] = true
			norm = append(norm, n)
		}
	}
	u, err := s.store.UpdateUser(ctx, companyID, id, func(u *store.User) error {
		u.Cards = norm
		return nil
	})
	if err != nil {
		return u, err
	}
	s.auditAdmin(ctx, companyID, actorID, fmt.Sprintf("cards of %s set (%d)", u.Email, len(norm)))
	return u, nil
}

// putUserCards answers PUT /api/v1/users/{id}/cards {"cards":["04A1B2", …]}.
func (s *Server) putUserCards(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req struct {
		Cards []string `json:"cards"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	u, err := s.setCards(r.Context(), companyID, "", r.PathValue("id"), req.Cards)
	if err != nil {
		return err
	}
	cards := u.Cards
	if cards == nil {
		cards = []string{}
	}
	writeJSON(w, http.StatusOK, userResponse{ID: u.ID, Email: u.Email, Name: u.Name, Cards: cards, Admin: u.Admin, Created: u.Created})
	return nil
}

// userCardsForm sets a user's two cards from the users page.
func (s *Server) userCardsForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	u, err := s.setCards(r.Context(), c.company.ID, c.user.ID, r.PathValue("id"), []string{r.PostForm.Get("card1"), r.PostForm.Get("card2")})
	if err != nil {
		return err
	}
	c.notice = "Cards of " + u.Email + " saved."
	return nil
}
