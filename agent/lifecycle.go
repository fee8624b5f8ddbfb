package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/edgeprint/edgeprint/lpr"
	bolt "go.etcd.io/bbolt"
)

// Job states, in the order a release goes through them. A job that fails
// goes back to being releasable: "failed" is held, with a reason.
//
//	held → releasing → sending → printed
//	                 ↘ failed (reason) → releasing → …
const (
	JobHeld      = "held"
	JobReleasing = "releasing" // claimed by a swipe; held by the claim map, not written to disk
	JobSending   = "sending"   // bytes on their way to the printer
	JobPrinted   = "printed"   // the printer (or print server) took every byte
	JobFailed    = "failed"    // still held; Reason says why
)

// SetJobState records a local job's state. A job no longer in the store
// (printed meanwhile) is not an error.
func (s *Store) SetJobState(id, state, reason string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		var j JobRecord
		if err := json.Unmarshal(v, &j); err != nil {
			return err
		}
		j.State, j.Reason, j.StateAt = state, reason, time.Now().UTC()
		return putJSON(b, []byte(id), j)
	})
}

// FailJob records a failed release after attempts delivery attempts: the
// local record, if any, stays with its reason (the job is still held) and
// the failure is queued for the relay in the same transaction. A printed
// report already queued for the job is never replaced.
func (s *Store) FailJob(r StateReport, attempts int) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJobs)
		if v := b.Get([]byte(r.JobID)); v != nil {
			var j JobRecord
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			j.State, j.Reason, j.StateAt = JobFailed, r.Reason, time.Now().UTC()
			j.Attempts += attempts
			if err := putJSON(b, []byte(r.JobID), j); err != nil {
				return err
			}
		}
		out := tx.Bucket(bucketOutbox)
		if v := out.Get([]byte(r.JobID)); v != nil {
			var prev StateReport
			if json.Unmarshal(v, &prev) == nil && prev.State == JobPrinted {
				return nil
			}
		}
		return putJSON(out, []byte(r.JobID), r)
	})
}

// PrintedUnreported returns the ids of jobs printed whose report has not
// reached the relay yet: the relay still lists them as held, and a second
// swipe must not print them again.
func (s *Store) PrintedUnreported() (map[string]bool, error) {
	ids := map[string]bool{}
	reports, err := s.Reports()
	for _, r := range reports {
		if r.State == JobPrinted {
			ids[r.JobID] = true
		}
	}
	return ids, err
}

// resetInterrupted puts jobs left releasing or sending by a stop or crash
// back to held, saying that their last release was not confirmed.
func (s *Store) resetInterrupted() (int, error) {
	jobs, err := s.Jobs(func(j JobRecord) bool { return j.State == JobReleasing || j.State == JobSending })
	for _, j := range jobs {
		if err := s.SetJobState(j.ID, JobFailed, "the agent stopped during the release; the job was not confirmed printed"); err != nil {
			return 0, err
		}
	}
	return len(jobs), err
}

// transient reports whether a failed delivery may work if tried again soon:
// the printer was unreachable, hung up, reset or stalled. A printer that
// says it is not ready, a queue that refuses the job, a document that
// cannot be read or converted are not: retrying at once would fail the
// same way, so the job stays held with the reason.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, lpr.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrRelayOffline) {
		return true
	}
	for _, e := range transientErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// releasableJobs lists a user's jobs the relay holds: held, and failed
// (a failed release keeps the job held).
func (c relayClient) releasableJobs(ctx context.Context, userID string) ([]RelayJob, error) {
	held, err := c.heldJobs(ctx, userID)
	if err != nil {
		return held, err
	}
	var failed []RelayJob
	q := url.Values{"user": {userID}, "state": {JobFailed}}
	err = c.callJSON(ctx, http.MethodGet, "/agent/v1/jobs?"+q.Encode(), nil, &failed)
	return append(held, failed...), err
}
