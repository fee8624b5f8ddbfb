package relay

import (
	"fmt"
	"net/http"

	"github.com/edgeprint/edgeprint/relay/store"
)

type usersData struct {
	Users  []userRow
	Import *importResult
}

// userRow is a user with their first two cards in the form's fields.
type userRow struct {
	store.User
	Card1, Card2 string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	users, err := s.store.Users(r.Context(), c.company.ID)
	if err != nil {
		return err
	}
	d, _ := c.pageData.(usersData)
	for _, u := range users {
		row := userRow{User: u}
		if len(u.Cards) > 0 {
			row.Card1 = u.Cards[0]
		}
		if len(u.Cards) > 1 {
			row.Card2 = u.Cards[1]
		}
		d.Users = append(d.Users, row)
	}
	return s.show(w, c, "admin_users.html", "users", d)
}

// addUserForm creates a user with up to two cards.
func (s *Server) addUserForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	f := r.PostForm
	req := userRequest{Email: f.Get("email"), Name: f.Get("name"), Password: f.Get("password"), Admin: f.Get("admin") == "on"}
	for _, k := range []string{"card1", "card2"} {
		if v := f.Get(k); v != "" {
			req.Cards = append(req.Cards, v)
		}
	}
	u, err := newUser(c.company.ID, req)
	if err != nil {
		return err
	}
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	s.auditAdmin(r.Context(), c.company.ID, c.user.ID, fmt.Sprintf("user added: %s (admin %t, %d cards)", u.Email, u.Admin, len(u.Cards)))
	c.notice = "Added " + u.Email + "."
	return nil
}

func (s *Server) importUsersForm(w http.ResponseWriter, r *http.Request, c *consoleCtx) error {
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) != 1 {
		return badRequest("choose a CSV file")
	}
	f, err := r.MultipartForm.File["file"][0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := s.importUsers(r.Context(), c.company.ID, c.user.ID, f)
	if err != nil {
		return err
	}
	c.pageData = usersData{Import: &res}
	c.notice = fmt.Sprintf("Imported %d users.", res.Created)
	return nil
}
