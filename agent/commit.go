package agent

import (
	"errors"
	"sync"

	"github.com/edgeprint/edgeprint/docstore"
)

// maxCommitBatch caps the records one group commit writes.
const maxCommitBatch = 512

// committer is the spool's group commit. Every Spool call encrypts and
// writes its document in its own goroutine, in parallel: a small one (most
// print jobs) into space reserved in the current segment file, a large one
// into its own file, fsynced. Then it hands its record to the committer
// and waits. The committer takes everything waiting and, at the same time:
// fdatasyncs the segments the batch wrote to, once each; fsyncs the spool
// directory once if large documents' names need it; appends all the
// records as one frame to the record log (wal.go) and fdatasyncs it. Then
// it passes the records to the applier, which puts them in bbolt off the
// answer's path, and wakes the callers. While one commit runs, the next batch gathers: there is no
// timer, so a lone client waits for one commit, and many share them.
//
// A caller hears of its job only when all of that is done. A crash in
// between leaves a document without a record, or a record whose document
// (name, or segment bytes) did not reach the disk; neither was
// acknowledged, and Spool.recover, at start, removes both kinds (segment
// documents are read back and authenticated).
type committer struct {
	syncDir func() error
	wal     *wal
	// applied hands a durable batch to the applier, in commit order.
	applied func([]*JobRecord, walPos)

	mu      sync.Mutex
	pending []*commitReq
	running bool
}

type commitReq struct {
	rec  *JobRecord
	seg  *docstore.Segment // where the document was written; nil for a file of its own
	done chan error
	lead chan struct{} // closed when this caller is to commit the next batch
}

// add queues rec (with seg, the segment its document was written to, or
// nil when the document has a file of its own) and returns once it is
// durable (or failed).
func (c *committer) add(rec *JobRecord, seg *docstore.Segment) error {
	req := &commitReq{rec: rec, seg: seg, done: make(chan error, 1), lead: make(chan struct{})}
	c.mu.Lock()
	c.pending = append(c.pending, req)
	lead := !c.running
	c.running = true
	c.mu.Unlock()
	if !lead {
		select {
		case err := <-req.done:
			return err
		case <-req.lead:
		}
	}
	// This caller commits one batch (its own record is in it), then hands
	// the lead to the first caller still waiting: no goroutine outlives its
	// caller and none commits for others indefinitely.
	c.commitBatch()
	return <-req.done
}

func (c *committer) commitBatch() {
	c.mu.Lock()
	batch := c.pending
	if len(batch) > maxCommitBatch {
		batch = batch[:maxCommitBatch]
	}
	c.pending = c.pending[len(batch):]
	c.mu.Unlock()

	recs := make([]*JobRecord, len(batch))
	segs := map[*docstore.Segment]bool{}
	files := false
	for i, r := range batch {
		recs[i] = r.rec
		if r.seg != nil {
			segs[r.seg] = true
		} else {
			files = true
		}
	}
	var (
		wg      sync.WaitGroup
		syncMu  sync.Mutex
		syncErr error
	)
	fail := func(err error) {
		syncMu.Lock()
		syncErr = errors.Join(syncErr, err)
		syncMu.Unlock()
	}
	if files {
		wg.Go(func() {
			if err := c.syncDir(); err != nil {
				fail(err)
			}
		})
	}
	for seg := range segs {
		wg.Go(func() {
			if err := seg.Sync(); err != nil {
				fail(err)
			}
		})
	}
	// A frame that is durable while a document is not (its sync failed)
	// is replayed at start and dropped by recover, which checks documents.
	pos, err := c.wal.append(recs)
	wg.Wait()
	if err == nil {
		err = syncErr
	}
	if err == nil {
		c.applied(recs, pos)
	}
	for _, r := range batch {
		r.done <- err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		c.running = false
		return
	}
	close(c.pending[0].lead)
}
