package relay

import (
	"net/http"
	"time"

	"github.com/edgeprint/edgeprint/relay/password"
	"github.com/edgeprint/edgeprint/relay/store"
)

type userRequest struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Cards    []string `json:"cards"`
	Admin    bool     `json:"admin"`
}

type userResponse struct {
	ID      string    `json:"id"`
	Email   string    `json:"email"`
	Name    string    `json:"name"`
	Cards   []string  `json:"cards"`
	Admin   bool      `json:"admin"`
	Created time.Time `json:"created"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req userRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	u, err := newUser(companyID, req)
	if err != nil {
		return err
	}
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	s.log.Info("user created", "company", companyID, "user", u.ID, "admin", u.Admin)
	writeJSON(w, http.StatusCreated, map[string]string{"id": u.ID})
	return nil
}

// newUser validates req into a user of companyID, hashing its password.
func newUser(companyID string, req userRequest) (store.User, error) {
	email, err := store.NormalizeEmail(req.Email)
	if err != nil {
		return store.User{}, badRequest("%v", err)
	}
	name, err := cleanName("name", req.Name)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{ID: newID(), CompanyID: companyID, Email: email, Name: name, Admin: req.Admin, Created: time.Now().UTC()}
	switch {
	case req.Password == "" && req.Admin:
		return store.User{}, badRequest("an admin needs a password")
	case req.Password == "":
		// Card-only user: no password login.
	case len(req.Password) < minPassword:
		return store.User{}, badRequest("password must be at least %d characters", minPassword)
	case len(req.Password) > password.MaxLength:
		return store.User{}, badRequest("password must be at most %d bytes", password.MaxLength)
	default:
		if u.PasswordHash, err = password.Hash(req.Password); err != nil {
			return store.User{}, err
		}
	}
	if len(req.Cards) > maxCards {
		return store.User{}, badRequest("at most %d cards per user", maxCards)
	}
	seen := map[string]bool{}
	for _, c := range req.Cards {
		n, err := store.NormalizeCard(c)
		if err != nil {
			return store.User{}, badRequest("card %q: %v", c, err)
		}
		if seen[n] {
			return store.User{}, badRequest("card %s is listed twice", n)
		}
		seen[n] = true
		u.Cards = append(u.Cards, n)
	}
	return u, nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, companyID string) error {
	users, err := s.store.Users(r.Context(), companyID)
	if err != nil {
		return err
	}
	out := make([]userResponse, 0, len(users))
	for _, u := range users {
		cards := u.Cards
		if cards == nil {
			cards = []string{}
		}
		out = append(out, userResponse{ID: u.ID, Email: u.Email, Name: u.Name, Cards: cards, Admin: u.Admin, Created: u.Created})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
