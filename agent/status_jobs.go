package agent

import "time"

// JobStatus is a held job as the status page shows it: its delivery state
// and, after a failed release, why. Never the document key.
type JobStatus struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	User     string    `json:"user"`
	State    string    `json:"state"`
	Reason   string    `json:"reason,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Since    time.Time `json:"since,omitzero"`
}

func jobStatus(j JobRecord) JobStatus {
	state := j.State
	if state == "" {
		state = JobHeld
	}
	since := j.StateAt
	if since.IsZero() {
		since = j.Created
	}
	return JobStatus{ID: j.ID, Name: j.Name, User: j.User.Email, State: state, Reason: j.Reason, Attempts: j.Attempts, Since: since}
}
