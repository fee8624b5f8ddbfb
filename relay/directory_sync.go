package relay

import (
	"net/http"
	"slices"
	"strings"

	"github.com/edgeprint/edgeprint/ldapauth"
	"github.com/edgeprint/edgeprint/relay/store"
)

// maxSyncBatch bounds the users of one POST /agent/v1/directory/users.
const maxSyncBatch = 1000

// agentDirectoryUsers is POST /agent/v1/directory/users: an agent imports
// people from a directory it serves (no passwords). Each is found by email
// or created, as at a directory login. Users the directory no longer lists
// are kept: they can no longer sign in, and their held jobs expire.
func (s *Server) agentDirectoryUsers(c *agentConn) agentFunc {
	return func(w http.ResponseWriter, r *http.Request, a store.Agent) error {
		var req struct {
			Domain string              `json:"domain"`
			Users  []ldapauth.Identity `json:"users"`
		}
		if err := decodeJSON(w, r, &req, false); err != nil {
			return err
		}
		if len(req.Users) > maxSyncBatch {
			return badRequest("at most %d users per call", maxSyncBatch)
		}
		if !slices.ContainsFunc(c.domains, func(d string) bool { return strings.EqualFold(d, req.Domain) }) {
			return errorf(http.StatusForbidden, "this agent did not announce domain %q", req.Domain)
		}
		company, err := s.store.Company(r.Context(), a.CompanyID)
		if err != nil {
			return err
		}
		if company.AuthType != store.AuthLDAP {
			return errorf(http.StatusConflict, "the company does not sign in with its directory (auth_type %q)", company.AuthType)
		}
		imported, skipped := 0, 0
		for _, id := range req.Users {
			if id.DN == "" {
				skipped++
				continue
			}
			if _, err := s.directoryUser(r.Context(), a.CompanyID, id); err != nil {
				if r.Context().Err() != nil {
					return err
				}
				skipped++
				continue
			}
			imported++
		}
		s.log.Info("directory users imported", "company", a.CompanyID, "agent", a.ID, "domain", req.Domain, "users", imported, "skipped", skipped)
		writeJSON(w, http.StatusOK, map[string]int{"imported": imported, "skipped": skipped})
		return nil
	}
}
