package relay

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// jobResponse is a job as the API and the agents see it.
type jobResponse struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	UserID    string         `json:"user_id"`
	User      string         `json:"user"` // the owner's email
	State     store.JobState `json:"state"`
	Size      int64          `json:"size"`
	Format    string         `json:"format"`
	Created   time.Time      `json:"created"`
	Printed   time.Time      `json:"printed,omitzero"`
	PrinterID string         `json:"printer_id,omitempty"`
	Reason    string         `json:"reason,omitempty"`
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, companyID string) error {
	if err := onlyParams(r.URL.Query(), "user", "state"); err != nil {
		return err
	}
	state, err := parseState(r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	f := store.JobFilter{State: state}
	if email := r.URL.Query().Get("user"); email != "" {
		u, err := s.store.UserByEmail(r.Context(), companyID, email)
		if err != nil {
			// No such user in this company: no jobs, the same as a user
			// without jobs.
			writeJSON(w, http.StatusOK, []jobResponse{})
			return nil
		}
		f.UserID = u.ID
	}
	out, err := s.jobList(r.Context(), companyID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseState reads a state filter; empty means any state.
func parseState(s string) (store.JobState, error) {
	if st := store.JobState(s); s == "" || st.Valid() {
		return st, nil
	}
	return "", badRequest("state must be held, printed, failed or deleted")
}

// jobList returns the jobs of companyID passing f, with owners' emails.
func (s *Server) jobList(ctx context.Context, companyID string, f store.JobFilter) ([]jobResponse, error) {
	jobs, err := s.store.Jobs(ctx, companyID, f)
	if err != nil {
		return nil, err
	}
	users, err := s.store.Users(ctx, companyID)
	if err != nil {
		return nil, err
	}
	emails := make(map[string]string, len(users))
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	out := make([]jobResponse, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, toJobResponse(j, emails[j.UserID]))
	}
	return out, nil
}

func toJobResponse(j store.Job, email string) jobResponse {
	return jobResponse{ID: j.ID, Name: j.Name, UserID: j.UserID, User: email, State: j.State, Size: j.Size,
		Format: j.Format, Created: j.Created, Printed: j.Printed, PrinterID: j.PrinterID, Reason: j.Reason}
}

// onlyParams rejects query parameters other than allowed, so a typo in a
// filter is an error rather than an unfiltered answer.
func onlyParams(q url.Values, allowed ...string) error {
	for k := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return badRequest("unknown query parameter %q", k)
		}
	}
	return nil
}
