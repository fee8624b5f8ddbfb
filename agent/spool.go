package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/docstore"
	"github.com/edgeprint/edgeprint/eipauth"
	"github.com/edgeprint/edgeprint/ipp"
)

// Spool is the agent's durable job spool: encrypted documents in a
// docstore directory, records in the bbolt Store, written with group
// commit (commit.go). The Agent owns one; OpenSpool makes a standalone one
// for tools and benchmarks.
type Spool struct {
	docs    *docstore.Store
	segs    *docstore.Segments
	store   *Store
	wal     *wal
	commits *committer
	log     *slog.Logger
	// spooled is called once a durable job is in the database too
	// (metrics, upload kick).
	spooled func(JobRecord)

	// The applier puts durable batches into bbolt, in order.
	mu        sync.Mutex
	queue     []applyItem
	unapplied map[string]JobRecord // durable in the log, not yet in bbolt
	wake      chan struct{}
	urgent    chan struct{} // a flush is waiting: apply without gathering
	stopOnce  sync.Once
	stopCh    chan struct{}
	stopped   chan struct{}
}

type applyItem struct {
	recs  []*JobRecord
	pos   walPos
	flush chan struct{} // closed once everything before it is applied
}

// docBufs holds the buffers Spool reads plaintext into: reused, they
// spare a growing allocation per job (and the GC work it makes).
var docBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// blobBufs holds the buffers Spool seals small documents into, for the
// same reason.
var blobBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxSegmentDoc is the largest document kept in a segment; larger ones
// get a file of their own. A print job from a phone is tens to hundreds of
// kilobytes.
const maxSegmentDoc = 1 << 20

// newSpool opens the segments in docs' directory and makes the spool;
// recover must run before the first Spool.
func newSpool(docs *docstore.Store, store *Store, logger *slog.Logger, spooled func(JobRecord)) (*Spool, error) {
	if spooled == nil {
		spooled = func(JobRecord) {}
	}
	segs, err := docstore.OpenSegments(docs.Dir())
	if err != nil {
		return nil, err
	}
	// docs.Open and docs.Remove by job id then work for either kind of
	// document, for code that has only the id and key.
	docs.AttachSegments(segs)
	key, err := store.spoolKey()
	if err != nil {
		return nil, err
	}
	w, err := openWAL(docs.Dir(), key)
	if err != nil {
		return nil, err
	}
	s := &Spool{
		docs: docs, segs: segs, store: store, wal: w, log: logger, spooled: spooled,
		unapplied: map[string]JobRecord{},
		wake:      make(chan struct{}, 1),
		urgent:    make(chan struct{}, 1),
		stopCh:    make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	s.commits = &committer{syncDir: docs.SyncDir, wal: w, applied: s.enqueue}
	go s.applier()
	return s, nil
}

// enqueue hands a durable batch to the applier; until it is in bbolt the
// jobs are visible through unapplied.
func (s *Spool) enqueue(recs []*JobRecord, pos walPos) {
	s.mu.Lock()
	for _, r := range recs {
		s.unapplied[r.ID] = *r
	}
	s.queue = append(s.queue, applyItem{recs: recs, pos: pos})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// applier puts batches into bbolt, all that arrived within applyGather
// (or before a flush) in one transaction, with the log position they
// reach. A failure leaves them in the log, applied again at the next start.
func (s *Spool) applier() {
	defer close(s.stopped)
	for {
		select {
		case <-s.wake:
		case <-s.stopCh:
			s.applyQueued()
			return
		}
		// Gather first: one bbolt commit (and its fsyncs) then carries
		// many group commits, and leaves the disk to them meanwhile.
		select {
		case <-time.After(applyGather):
		case <-s.urgent:
		case <-s.stopCh:
		}
		s.applyQueued()
	}
}

func (s *Spool) applyQueued() {
	s.mu.Lock()
	items := s.queue
	s.queue = nil
	s.mu.Unlock()
	var recs []*JobRecord
	var pos walPos
	for _, it := range items {
		if it.flush == nil {
			recs = append(recs, it.recs...)
			pos = it.pos
		}
	}
	if len(recs) > 0 {
		if err := s.store.applyJobs(recs, pos); err != nil {
			// Keep them first in line: the log position must never move
			// past a batch that is not in the database.
			s.log.Error("spool: apply records to the database (they stay in the log; retrying)", "err", err)
			s.mu.Lock()
			s.queue = append(items, s.queue...)
			s.mu.Unlock()
			select {
			case <-time.After(applyRetry):
			case <-s.stopCh:
				return
			}
			select {
			case s.wake <- struct{}{}:
			default:
			}
			return
		}
		s.mu.Lock()
		for _, r := range recs {
			delete(s.unapplied, r.ID)
		}
		s.mu.Unlock()
		s.wal.prune(pos)
		// Now the rest of the agent (upload, release) sees them.
		for _, r := range recs {
			s.spooled(*r)
		}
	}
	for _, it := range items {
		if it.flush != nil {
			close(it.flush)
		}
	}
}

// applyGather is how long the applier lets durable batches gather before
// putting them in bbolt; they are visible meanwhile (pending).
const applyGather = 10 * time.Millisecond

// applyRetry is the pause before applying again after a database error.
const applyRetry = time.Second

// flush returns once every batch committed so far is in bbolt.
func (s *Spool) flush() {
	done := make(chan struct{})
	s.mu.Lock()
	s.queue = append(s.queue, applyItem{flush: done})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case s.urgent <- struct{}{}:
	default:
	}
	select {
	case <-done:
	case <-s.stopped:
	}
}

// pending returns a job that is durable but not yet in bbolt.
func (s *Spool) pending(match func(JobRecord) bool) []JobRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JobRecord
	for _, r := range s.unapplied {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// stop applies what is queued and stops the applier; the database stays
// open (its owner closes it).
func (s *Spool) stop() {
	s.stopOnce.Do(func() { close(s.stopCh) })
	<-s.stopped
	s.wal.close()
}

// Open returns the plaintext of a spooled job's document (docs.Open by
// id and key does the same).
func (s *Spool) Open(rec JobRecord) (io.ReadCloser, error) {
	return s.docs.Open(rec.ID, rec.Key)
}

// Remove deletes a spooled job's document (its record is the caller's).
func (s *Spool) Remove(rec JobRecord) error {
	return s.docs.Remove(rec.ID)
}

// recover makes the spool whole after a crash: a document without a
// record, or a record without its document, belongs to a job that was
// never acknowledged (group commit writes the two at once) or was being
// deleted; both go.
func (s *Spool) recover() error {
	from, err := s.store.walApplied()
	if err != nil {
		return err
	}
	replayed := 0
	if err := s.wal.replay(from, func(recs []*JobRecord, pos walPos) error {
		replayed += len(recs)
		return s.store.applyJobs(recs, pos)
	}); err != nil {
		return err
	}
	if replayed > 0 {
		s.log.Info("spool: records replayed from the log", "jobs", replayed)
	}
	if to, err := s.store.walApplied(); err == nil {
		s.wal.prune(to)
	}
	ids, err := s.docs.IDs()
	if err != nil {
		return err
	}
	docs := make(map[string]bool, len(ids))
	for _, id := range ids {
		docs[id] = true
	}
	jobs, err := s.store.Jobs(func(JobRecord) bool { return true })
	if err != nil {
		return err
	}
	var lost []*JobRecord
	for i := range jobs {
		j := &jobs[i]
		switch {
		case j.Loc != nil:
			if err := s.segs.Verify(*j.Loc, j.Key); err != nil {
				s.log.Warn("spool: segment document missing or damaged", "job", j.ID, "err", err)
				lost = append(lost, j)
				continue
			}
			s.segs.Retain(*j.Loc)
			s.docs.IndexSegment(j.ID, *j.Loc)
		case !docs[j.ID]:
			lost = append(lost, j)
		}
		delete(docs, j.ID)
	}
	if err := s.segs.Sweep(); err != nil {
		return err
	}
	if len(lost) > 0 {
		s.log.Warn("spool: dropping records without a document (never acknowledged)", "jobs", len(lost))
		if err := s.store.removeJobs(lost); err != nil {
			return err
		}
	}
	for id := range docs {
		s.log.Info("spool: removing a document without a record", "job", id)
		if err := s.docs.Remove(id); err != nil {
			return err
		}
	}
	return nil
}

// OpenSpool opens a spool (database and document directory) in dir
// without the rest of the agent; Close closes its database.
func OpenSpool(dir string, logger *slog.Logger) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: spool: %w", err)
	}
	store, err := OpenStore(filepath.Join(dir, "agent.db"))
	if err != nil {
		return nil, err
	}
	docs, err := docstore.Open(filepath.Join(dir, "spool"))
	if err != nil {
		store.Close()
		return nil, err
	}
	sp, err := newSpool(docs, store, logger, nil)
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := sp.recover(); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

// Close closes the spool's database.
func (s *Spool) Close() error {
	s.stop()
	return s.store.Close()
}

// Spool stores a job from the print queue: the encrypted document is
// fsynced, then its name (directory fsync) and its record (bbolt commit),
// shared with the jobs arriving at the same time (commit.go), and only
// then does the queue answer the client. A crash at any point leaves
// either no job or a whole one.
func (s *Spool) Spool(ctx context.Context, info ipp.JobInfo, doc io.Reader) (ipp.Job, error) {
	id := newJobID()
	// A small document is encrypted in memory and goes to a segment with
	// its batch; a large one is written to its own file now.
	buf := docBufs.Get().(*bytes.Buffer)
	defer docBufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(doc, maxSegmentDoc+1)); err != nil {
		return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
	}
	small := buf.Bytes()
	var (
		err  error
		key  []byte
		size int64
		loc  *docstore.Loc
		seg  *docstore.Segment
	)
	if len(small) <= maxSegmentDoc {
		sealed := blobBufs.Get().(*[]byte)
		defer blobBufs.Put(sealed)
		var blob []byte
		if blob, key, err = docstore.SealTo(*sealed, small); err != nil {
			return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
		}
		l, g, err := s.segs.Reserve(int64(len(blob)))
		if err != nil {
			return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
		}
		if err := g.Write(l, blob); err != nil {
			s.segs.Remove(l)
			return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
		}
		*sealed = blob // the segment has a copy; the next job reuses it
		s.docs.IndexSegment(id, l)
		loc, seg, size = &l, g, int64(len(small))
	} else if key, size, err = s.docs.WriteFile(id, io.MultiReader(bytes.NewReader(small), doc)); err != nil {
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
		Loc:     loc,
	}
	if rec.Created.IsZero() {
		rec.Created = time.Now()
	}
	if err := ctx.Err(); err != nil {
		s.Remove(rec)
		return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
	}
	if err := s.commits.add(&rec, seg); err != nil {
		s.Remove(rec)
		return ipp.Job{}, fmt.Errorf("agent: spool: %w", err)
	}
	s.log.Info("job held", "job", id, "user", rec.User.Email, "bytes", size, "format", rec.Format)
	return ipp.Job{ID: id, Number: rec.Number}, nil
}

// Spool implements ipp.Spooler with the agent's spool.
// The queue reserves the job's number before it calls; other callers get
// one here, so the record is complete before the group commit takes it.
func (a *Agent) Spool(ctx context.Context, info ipp.JobInfo, doc io.Reader) (ipp.Job, error) {
	if info.Number == 0 {
		n, err := a.ippJobs.NewNumber(ctx)
		if err != nil {
			return ipp.Job{}, err
		}
		info.Number = n
	}
	return a.spool.Spool(ctx, info, doc)
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

// Count is how many job records the spool holds.
func (s *Spool) Count() (int, error) {
	s.flush()
	jobs, err := s.store.Jobs(func(JobRecord) bool { return true })
	return len(jobs), err
}

// settleSpool waits until the user's acknowledged jobs are in the database,
// where release looks for them: a job printed a moment ago may still be
// only in the record log. It costs nothing when none of the user's jobs is
// waiting.
func (a *Agent) settleSpool(userID string) {
	if a.spool == nil {
		return
	}
	if len(a.spool.pending(func(r JobRecord) bool { return r.User.ID == userID })) > 0 {
		a.spool.flush()
	}
}
