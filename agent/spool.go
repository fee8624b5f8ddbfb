package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/edgeprint/edgeprint/eipauth"
	"github.com/edgeprint/edgeprint/ipp"
)

// Spool stores a job from the print queue: the encrypted document is
// fsynced, then its record is committed, and only then does the queue answer
// the client. A crash at any point leaves either no job or a whole one.
func (a *Agent) Spool(ctx context.Context, info ipp.JobInfo, doc io.Reader) (ipp.Job, error) {
	id := newJobID()
	key, size, err := a.docs.Write(id, doc)
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
	}
	if rec.Created.IsZero() {
		rec.Created = time.Now()
	}
	if err := a.store.AddJob(&rec); err != nil {
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
	ev := eipauth.Event{Interface: "ipp", Method: "password", User: username, Result: "accepted"}
	defer func() { a.audit(ev) }()
	switch {
	case errors.Is(err, errRejected), errors.Is(err, errNotFound):
		ev.Result = "denied"
		return ipp.User{}, ipp.ErrUnauthorized
	case err != nil:
		ev.Result = "error"
		return ipp.User{}, err
	}
	ev.User = u.ID
	return ipp.User{ID: u.ID, Email: u.Email, Name: u.Name}, nil
}

func newJobID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
