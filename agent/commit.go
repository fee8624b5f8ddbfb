package agent

import (
	"errors"
	"sync"

	"github.com/edgeprint/edgeprint/docstore"
)

// maxCommitBatch caps the records one group commit writes.
const maxCommitBatch = 512

// committer is the spool's group commit. Every Spool call encrypts its
// document in its own goroutine, in parallel: a small one (most print
// jobs) into memory, a large one into its own file, fsynced. Then it hands
// its record (and the small document) to the committer and waits. The
// committer takes everything waiting and, at the same time: appends the
// small documents to the current segment in one write and fdatasyncs it
// once; fsyncs the spool directory once if large documents' names need it;
// commits all the records in one bbolt transaction. Then it wakes the
// callers. While one commit runs, the next batch gathers: there is no
// timer, so a lone client waits for one commit, and many share them.
//
// A caller hears of its job only when all of that is done. A crash in
// between leaves a document without a record, or a record whose document
// (name, or segment bytes) did not reach the disk; neither was
// acknowledged, and Spool.recover, at start, removes both kinds (segment
// documents are read back and authenticated).
type committer struct {
	syncDir func() error
	commit  func([]*JobRecord) error
	// undo removes committed records whose batch failed otherwise.
	undo func([]*JobRecord) error
	segs *docstore.Segments

	mu      sync.Mutex
	pending []*commitReq
	running bool
}

type commitReq struct {
	rec  *JobRecord
	blob []byte // the encrypted document, to append to a segment; nil for a file
	done chan error
	lead chan struct{} // closed when this caller is to commit the next batch
}

// add queues rec (with blob, its document for a segment, or nil when the
// document is in its own file) and returns once it is durable (or failed).
func (c *committer) add(rec *JobRecord, blob []byte) error {
	req := &commitReq{rec: rec, blob: blob, done: make(chan error, 1), lead: make(chan struct{})}
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
	var blobs [][]byte
	var withBlob []*JobRecord
	files := false
	for i, r := range batch {
		recs[i] = r.rec
		if r.blob != nil {
			blobs = append(blobs, r.blob)
			withBlob = append(withBlob, r.rec)
		} else {
			files = true
		}
	}
	var err error
	if len(blobs) > 0 {
		var locs []docstore.Loc
		if locs, err = c.segs.Append(blobs); err == nil {
			for i, rec := range withBlob {
				rec.Loc = &locs[i]
			}
		}
	}
	if err == nil {
		var wg sync.WaitGroup
		var dirErr, segErr error
		if files {
			wg.Go(func() { dirErr = c.syncDir() })
		}
		if len(blobs) > 0 {
			wg.Go(func() { segErr = c.segs.Sync() })
		}
		err = c.commit(recs)
		wg.Wait()
		if err == nil && (dirErr != nil || segErr != nil) {
			err = errors.Join(dirErr, segErr)
			if uerr := c.undo(recs); uerr != nil {
				// Spool.recover drops them at the next start.
				err = errors.Join(err, uerr)
			}
		}
		if err != nil {
			for _, rec := range withBlob {
				if rec.Loc != nil {
					_ = c.segs.Remove(*rec.Loc)
					rec.Loc = nil
				}
			}
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
