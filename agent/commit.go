package agent

import (
	"sync"
)

// maxCommitBatch caps the records one group commit writes.
const maxCommitBatch = 512

// committer is the spool's group commit. Every Spool call writes and
// fsyncs its own document file (in its own goroutine, in parallel), then
// hands its record to the committer and waits. The committer takes every
// record waiting, fsyncs the spool directory once (making all their file
// names durable) and commits all the records in one bbolt transaction
// (one fsync), then wakes their callers. While one commit runs, the next
// batch gathers: there is no timer, so one lone client waits for exactly
// one directory fsync and one transaction, and many clients share them.
//
// Order matters for crashes: names are durable before the records that
// point at them, so a record never names a missing file; a file without a
// record (crash between the two) is an orphan the start-up sweep removes.
type committer struct {
	syncDir func() error
	commit  func([]*JobRecord) error

	mu      sync.Mutex
	pending []*commitReq
	running bool
}

type commitReq struct {
	rec  *JobRecord
	done chan error
	lead chan struct{} // closed when this caller is to commit the next batch
}

// add queues rec and returns once it is durable (or failed).
func (c *committer) add(rec *JobRecord) error {
	req := &commitReq{rec: rec, done: make(chan error, 1), lead: make(chan struct{})}
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

	err := c.syncDir()
	if err == nil {
		recs := make([]*JobRecord, len(batch))
		for i, r := range batch {
			recs[i] = r.rec
		}
		err = c.commit(recs)
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
