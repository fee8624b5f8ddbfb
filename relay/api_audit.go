package relay

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// maxAuditPage bounds one answer of the audit log.
const maxAuditPage = 1000

// eventFilter reads the audit log filters shared by the API and the
// console: kind, outcome, channel, user (id), actor (substring), since and
// until (RFC 3339 or YYYY-MM-DD), limit.
func eventFilter(q url.Values) (store.EventFilter, error) {
	f := store.EventFilter{Kind: q.Get("kind"), Outcome: q.Get("outcome"), Channel: q.Get("channel"),
		UserID: q.Get("user"), Actor: q.Get("actor"), Limit: 200}
	var err error
	if f.Since, err = parseWhen("since", q.Get("since")); err != nil {
		return f, err
	}
	if f.Until, err = parseWhen("until", q.Get("until")); err != nil {
		return f, err
	}
	if v := q.Get("until"); len(v) == len("2006-01-02") {
		f.Until = f.Until.Add(24 * time.Hour) // the whole day
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditPage {
			return f, badRequest("limit must be 1 to %d", maxAuditPage)
		}
		f.Limit = n
	}
	return f, nil
}

func parseWhen(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, badRequest("%s must be RFC 3339 or YYYY-MM-DD", field)
}

// listEvents answers GET /api/v1/audit/events.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, companyID string) error {
	q := r.URL.Query()
	if err := onlyParams(q, "kind", "outcome", "channel", "user", "actor", "since", "until", "limit"); err != nil {
		return err
	}
	f, err := eventFilter(q)
	if err != nil {
		return err
	}
	evs, err := s.store.Events(r.Context(), companyID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, evs)
	return nil
}
