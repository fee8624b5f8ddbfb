package agent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/edgeprint/edgeprint/ipp"
)

// Spool stores a job from the print queue: the encrypted document is
// fsynced, then its name (directory fsync) and its record (bbolt commit),
// shared with the jobs arriving at the same time (commit.go), and only
// then does the queue answer the client. A crash at any point leaves
// either no job or a whole one.
func (a *Agent) Spool(ctx context.Context, info ipp.JobInfo, doc io.Reader) (ipp.Job, error) {
	id := newJobID()
	key, size, err := a.docs.WriteFile(id, doc)
	if err != nil {
		return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
	}
	rec := JobRecord{
		ID:      id,
		User:    User{ID: info.User.ID, Email: info.User.Email, Name: info.User.Name},
		Name:    info.Name,
		Format:  info.Format,
		Size:    size,
		Created: info.Created,
		Key:     key,
		Number:  info.Number,
		PINHash: pinHash(id, info.Password),
	}
	if rec.Created.IsZero() {
		rec.Created = time.Now()
	}
	if err := ctx.Err(); err != nil {
		a.docs.Remove(id)
		return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
	}
	if err := a.commits.add(&rec); err != nil {
		a.docs.Remove(id)
		return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
	}
	a.metrics.jobsSpooled.Inc()
	a.metrics.spoolBytes.Add(float64(size))
	a.log.Info("job held", "job", id, "user", rec.User.Email, "bytes", size, "format", rec.Format)
	a.kick(a.uploadKick)
	return ipp.Job{ID: id, Number: rec.Number}, nil
}

// Authenticate checks print queue credentials against the company's accounts
// at the relay. Nothing is cached: the password exists only for this call.
func (a *Agent) Authenticate(ctx context.Context, username, password string) (ipp.User, error) {
	u, err := a.relay.authenticate(ctx, username, password)
	switch {
	case errors.Is(err, errRejected), errors.Is(err, errNotFound):
		return ipp.User{}, ipp.ErrUnauthorized
	case err != nil:
		return ipp.User{}, err
	}
	return ipp.User{ID: u.ID, Email: u.Email, Name: u.Name}, nil
}

// pinHash hashes a job's PIN with its id, so the record does not hold
// the PIN itself; nil for no PIN.
func pinHash(id, pin string) []byte {
	if pin == "" {
		return nil
	}
	sum := sha256.Sum256([]byte("edgeprint-job-pin:" + id + ":" + pin))
	return sum[:]
}

func newJobID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
