package relay

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// maxCSVBody bounds a user import file.
	maxCSVBody = 1 << 20
	// maxImportRows bounds the users of one import.
	maxImportRows = 10000
)

// importResult says what an import did, line by line for what it refused.
type importResult struct {
	Created int           `json:"created"`
	Errors  []importError `json:"errors"`
}

type importError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// importUsers reads users from CSV: email, name, card 1, card 2, admin
// ("yes"/"true"/"1"), the last three optional; a first line whose first
// field is "email" is a header. Imported users have no password (they
// print with their badge, or sign in through the company's directory);
// an admin row is refused, since an admin needs a password. Each good line
// creates one user; bad lines are reported and skipped.
func (s *Server) importUsers(ctx context.Context, companyID, actorID string, rd io.Reader) (importResult, error) {
	res := importResult{Errors: []importError{}}
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return res, errorf(http.StatusRequestEntityTooLarge, "file over %d bytes", maxCSVBody)
		}
		if err != nil {
			return res, badRequest("line %d: not CSV: %v", line, err)
		}
		if line > maxImportRows {
			return res, badRequest("at most %d lines", maxImportRows)
		}
		if line == 1 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "email") {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		req, err := importRow(rec)
		if err == nil {
			var u store.User
			if u, err = newUser(companyID, req); err == nil {
				err = s.store.CreateUser(ctx, u)
			}
		}
		if err != nil {
			msg, status := userMessage(err)
			if status == http.StatusInternalServerError {
				return res, err
			}
			res.Errors = append(res.Errors, importError{Line: line, Error: msg})
			continue
		}
		res.Created++
	}
	s.auditAdmin(ctx, companyID, actorID, fmt.Sprintf("users imported: %d created, %d refused", res.Created, len(res.Errors)))
	return res, nil
}

func importRow(rec []string) (userRequest, error) {
	if len(rec) < 2 || len(rec) > 5 {
		return userRequest{}, badRequest("want email, name[, card 1[, card 2[, admin]]]")
	}
	req := userRequest{Email: rec[0], Name: rec[1]}
	for _, c := range rec[2:min(len(rec), 4)] {
		if c = strings.TrimSpace(c); c != "" {
			req.Cards = append(req.Cards, c)
		}
	}
	if len(rec) == 5 {
		switch strings.ToLower(strings.TrimSpace(rec[4])) {
		case "", "no", "false", "0":
		case "yes", "true", "1":
			req.Admin = true
		default:
			return req, badRequest("admin must be yes or no")
		}
	}
	return req, nil
}

// importUsersAPI answers POST /api/v1/users/import (body: text/csv).
func (s *Server) importUsersAPI(w http.ResponseWriter, r *http.Request, companyID string) error {
	res, err := s.importUsers(r.Context(), companyID, "", http.MaxBytesReader(w, r.Body, maxCSVBody))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
