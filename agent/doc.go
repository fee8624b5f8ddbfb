// Package agent is the edgeprint service that runs on one PC per site.
//
// It serves the site's secure print queue over IPP/IPPS, spools each job
// encrypted and durable before it answers the client, uploads held jobs to
// the relay, listens for badge swipes from network card readers and sends a
// user's held jobs to the printer beside the reader. It also answers MFP
// panels' Convenience Authentication and their apps' SSO (eipauth, wired in
// panel*.go), releasing a user's jobs on panel login when auto-release is
// on. Everything the relay
// knows that the agent needs to release jobs on its own (printers, readers,
// card look-ups already made) is kept in the agent's bbolt database, so
// release keeps working while the relay is unreachable.
//
// Decisions:
//   - The configuration file is JSON, decoded strictly: an unknown key is an
//     error, so a typo never silently falls back to a default.
//   - The agent's identity (id and secret from registration, the relay URL
//     and its pinned certificate) lives in DATA_DIR/identity.json, mode 0600,
//     apart from the configuration, which IT may copy between sites.
//   - A job's local copy is deleted as soon as it has printed; the relay
//     keeps its own copy according to the company's retention.
//   - A card number looked up at the relay is cached (as a SHA-256) so the
//     same badge releases local jobs while the relay is down.
//   - Delivery (deliver.go, lifecycle.go): a job goes held → releasing →
//     sending → printed, and is printed only once the printer or print
//     server took every byte (raw 9100: half-close and drain, or PJL's job
//     end; LPR: the control file's acknowledgement). A refused, reset or
//     stalled connection is retried with capped backoff; after the last
//     attempt, or for a printer in error, a refused queue or a document that
//     cannot be converted, the job stays held as "failed" with the reason,
//     on the status page and at the relay, and the next swipe tries again.
//     A raw 9100 printer that dropped a job mid-way may have printed some of
//     its pages before the retry: raw 9100 has no way to resume.
//   - Badge release (swipe.go) is the latency-critical path: a card the
//     relay confirmed within cardTrustTTL (15 min) is trusted from the cache
//     and re-checked in the background, local jobs come from an in-memory
//     per-user index and print before the relay is asked for its own. A
//     card removed at the relay thus releases at most once more within that
//     window; the cache holds only hashes, so it cannot be refreshed ahead
//     of a swipe. docs/agent-protocol.md tells the steps.
//   - The spool group-commits (commit.go). A document up to 1 MiB (nearly
//     every print job) is encrypted in memory and written by its own
//     request, in parallel with the others, into space reserved at the end
//     of a shared segment file (docstore.Segments); a larger one gets a
//     file of its own, created in place and fsynced. Then one batch takes
//     every record waiting and, at the same time, fdatasyncs the segments
//     it wrote to, fsyncs the spool directory if it has large documents,
//     and appends all the records as one frame to the record log (wal.go,
//     sealed with a key kept in the database) with one fdatasync. The
//     client hears successful-ok only after all of it. The records reach
//     bbolt just after, off the answer's path (the applier, one
//     transaction for every batch waiting, with the log position they
//     reach); until then the queue shows them from memory. At start, log
//     frames past that position are applied again, and a torn last frame
//     (never acknowledged) is ignored. A crash in between leaves half a
//     job that was never acknowledged; Spool.recover removes it (segment
//     documents are read back and authenticated). A segment file goes when
//     its last document does, a log file once wholly applied.
//   - The print queue's job state comes from the database through
//     ippjobs.go (ipp.JobStore): Get-Jobs, Cancel-Job, Hold-Job and
//     Release-Job see and change the spooled records; a canceled job's
//     record and document go at once and the relay hears "deleted" (it
//     drops its copy at once, as for a job deleted at a panel app).
//   - The queue offers colour if any enabled printer does colour or is not
//     known not to, duplex likewise (QueueCapabilities).
//   - The queue is advertised over mDNS (dnssd) on every multicast
//     interface unless ipp.dnssd says otherwise, and never when the queue
//     listens on loopback only; `edgeprint dnssd-zone` prints the same
//     records for a unicast DNS zone.
package agent
