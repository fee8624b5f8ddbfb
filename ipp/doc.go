// Package ipp is the agent's print queue: an IPP (RFC 8010/8011) server
// that iPhones, Macs and desktops print to. It takes a job, checks who sent
// it, streams the document to a Spooler and answers once the job is
// durable. Jobs are held: they print only when their owner releases them at
// a printer. README.md tells how a request runs, step by step.
//
// The package speaks the wire format through github.com/OpenPrinting/goipp;
// the files split by role: wire.go (decoding, limits, encoding),
// exchange.go (one HTTP exchange), ops.go (Print-Job, Validate-Job,
// attributes), jobops.go (Create-Job, Send-Document, Close-Job, Cancel-Job,
// Cancel-My-Jobs, Get-Jobs, Hold-Job, Release-Job, Identify-Printer),
// attrs.go and everywhere.go (printer attributes, DNS-SD TXT), jobs.go and
// jobstore.go (job state), auth.go, upgrade.go and sniff.go (transport),
// serve.go, metrics.go.
//
// Decisions, and why:
//
//   - One port for IPP and IPPS. Serve reads the first byte of each
//     connection: 0x16 (a TLS handshake record) is served over TLS, anything
//     else as plain HTTP. Plain connections may also switch to TLS in place
//     (RFC 2817, "OPTIONS *" with "Upgrade: TLS/1.2"), which is how CUPS
//     clients react to a 426.
//
//   - Credentials never cross a network in clear. HTTP Basic is accepted
//     over TLS, and over plain HTTP only from a loopback address. A job
//     operation over plain HTTP from another host gets 426 Upgrade Required
//     ("Upgrade: TLS/1.2,HTTP/1.1"), not 401: a 401 would invite the client
//     to send the password in clear. CUPS clients (lp, ipptool) then
//     upgrade and retry; iOS and macOS use ipps:// from DNS-SD anyway.
//
//   - Authentication happens after the IPP header is read, because the
//     operation decides whether it is needed (Get-Printer-Attributes and
//     Identify-Printer are open; every job operation is not). No or
//     wrong credentials: HTTP 401 with `WWW-Authenticate: Basic
//     realm="edgeprint"` and an IPP client-error-not-authenticated body. An
//     Authenticator that cannot decide (relay unreachable) gives IPP
//     server-error-service-unavailable, which clients retry; never an accept.
//
//   - The answer to Print-Job is written only after Spool returned: a
//     client that hears successful-ok may forget its job. The document is
//     streamed to Spool, never held in memory, and cut off with
//     ErrDocumentTooLarge past Config.MaxDocumentSize (the client then gets
//     client-error-request-entity-too-large). A Print-Job without document
//     data is refused before Spool is called.
//
//   - Every job is pending-held with job-hold-until-specified: it prints
//     when its owner releases it at a printer. Job state lives in a
//     JobStore (the agent's database; MemoryJobs otherwise). Users see,
//     cancel, hold and release only their own jobs: another user's job is
//     client-error-not-found, so its existence does not leak, and Get-Jobs
//     lists only the requester's jobs whatever my-jobs says. Hold-Job adds
//     the owner's own hold (a badge does not release the job) and
//     Release-Job takes it off.
//
//   - Create-Job makes a job in memory only; it becomes durable with its one
//     document (Send-Document, last-document true; multiple-document jobs
//     are not supported). A job left without a document is aborted after
//     multiple-operation-time-out (60 s). Job numbers come from
//     JobStore.NewNumber before Spool, so both operations number alike.
//
//   - job-password (a PIN of up to 4 digits, as iOS offers it) is checked
//     for syntax and handed to the Spooler (JobInfo.Password).
//
//   - Limits: the IPP header is capped at 1 MiB and must arrive within 30 s
//     of the HTTP headers (10 s); a document upload may stall for 60 s at
//     most; responses are written within 30 s. The constants are named in
//     server.go, serve.go, sniff.go and wire.go.
//
//   - Undecodable requests get HTTP 400 (413 past the header cap) with an
//     IPP client-error body that echoes the request-id, when at least the
//     8-byte IPP header arrived. Versions 1.1 and 2.0 are spoken and
//     answered in kind; others get server-error-version-not-supported in the
//     closest one. Operations not implemented get
//     server-error-operation-not-supported, and operations-supported lists
//     exactly what is implemented.
//
//   - The printer-uri a client sends is not checked against this server's
//     names: clients reach it by its .local name, its address or the name in
//     its certificate. Answers build URIs from the request's Host.
//
//   - Compression: gzip and deflate are inflated as the document streams
//     in, and the size limit applies to the inflated bytes too (a small
//     gzip can inflate to gigabytes); bad data is client-error-compression-
//     error. Documents are stored as the client sent them, uncompressed. An
//     HTTP Content-Encoding other than identity gets 415. Job template
//     attributes (copies, media, sides...) are accepted and not applied yet.
//
//   - Capabilities (colour, duplex) are the site's printers' (the agent
//     sets them, SetCapabilities); they shape color-supported,
//     print-color-mode-*, sides-*, urf-supported, pwg-raster-document-* and
//     the TXT keys.
//
//   - TLS session tickets are off: CUPS built with GnuTLS reads a TLS 1.3
//     NewSessionTicket arriving before the response as a failed read, drops
//     the connection and retries forever.
package ipp
