package agent

import (
	"errors"
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
// The directory fsync and the transaction run at the same time: a caller
// hears of its job only when both are done. A crash in between leaves a
// document without a record, or a record whose document's name did not
// reach the disk; neither was acknowledged, and Spool.recover, at start,
// removes both kinds.
type committer struct {
	syncDir func() error
	commit  func([]*JobRecord) error
	// undo removes committed records whose batch failed otherwise.
	undo func([]*JobRecord) error

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

	recs := make([]*JobRecord, len(batch))
	for i, r := range batch {
		recs[i] = r.rec
	}
	var wg sync.WaitGroup
	var dirErr error
	wg.Go(func() { dirErr = c.syncDir() })
	err := c.commit(recs)
	wg.Wait()
	if err == nil && dirErr != nil {
		err = dirErr
		if uerr := c.undo(recs); uerr != nil {
			// Spool.recover drops them at the next start.
			err = errors.Join(err, uerr)
		}
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
