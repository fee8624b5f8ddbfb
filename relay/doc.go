// Package relay is the edgeprint relay: the cloud service that holds a
// company's users, cards, printers, card readers, agents and held jobs,
// serves the JSON API (docs/api.md) and a minimal console, and ends the
// agents' tunnels (docs/agent-protocol.md). README.md walks a job through it.
//
// New opens a data dir and binds the listeners; Serve runs until its context
// ends. Init and CreateToken are operator functions that open the same data
// dir directly, so on the embedded store they refuse to run while a relay
// has it open.
//
// Several relays may run as replicas of one PostgreSQL store (the data
// dir's "database" file names it; README.md, "Several replicas"): each
// has its own data dir holding the same master key, certificate and
// database file, behind a TCP load balancer that passes TLS through.
//
// Decisions the design leaves open, taken here:
//
//   - Tenancy. Every API handler gets the company of its token as an
//     argument, every agent handler the company of its tunnel; store methods
//     take that company id, and records of other companies are not found
//     (404), never forbidden (403), so ids of other tenants leak nothing.
//   - Job ids are the agent's and unique per company, not globally: the same
//     id in two companies is two jobs. The document is stored in the
//     docstore under a relay-made id (not the job id), so that two racing
//     uploads of one job cannot overwrite each other's file: the first to
//     create the record wins and the other's file is removed. Re-uploading
//     a stored job reads and discards the body and answers 200.
//   - Document keys are wrapped with AES-256-GCM under the master key, with
//     the company and job id as additional data. Deleting a document
//     deletes the wrapped key in the store first, then the document; one left
//     behind is unreadable and removed by the orphan sweep (at start-up and
//     hourly), which only takes documents older than six hours: another
//     replica may be between storing a document and naming it in a job.
//   - Retention counts from when the relay stored the document. "immediate"
//     deletes it when the job is printed; "1d" and "7d" delete it that long
//     after it was stored, printed or not. No document, printed or not, is
//     kept longer than 7 days (store.MaxRetention). A job whose document
//     expires unprinted becomes "deleted" with reason "retention"; job
//     records themselves (metadata only) are kept.
//   - Job states: held → printed or failed; failed → printed or failed
//     (retry); printed is final and a repeated "printed" is accepted; other
//     changes are 409. A failed job keeps its document.
//   - Users may have no password (card-only); admins must have one.
//     Passwords are 8 to 1024 bytes. Cards are hex digits after
//     normalisation (trimmed, upper case), unique per company.
//   - Credential checks (registration, console login, the agents' user
//     authentication) answer the same 401 whatever was wrong, and always
//     spend one argon2id verification, so neither answer nor timing tells
//     whether an email exists. Rate limits key on the TCP peer address;
//     X-Forwarded-For is not trusted.
//   - Activation codes are 12 characters of an alphabet without 0/O/1/I/L,
//     shown as XXXX-XXXX-XXXX; dashes, spaces and letter case do not matter
//     when typed. Their lifetime is 1 to 168 hours (default 24).
//   - Console sessions live in the store under the SHA-256 of the cookie (a
//     restart signs nobody out, every replica knows them), are renewed at
//     every login and end after 20 idle minutes. The login form's
//     CSRF token is a double-submit cookie; signed-in forms carry the
//     session's token. Any user of the company may sign in: admins see every
//     job, users their own.
//   - The audit log keeps what was typed as a login name (bounded, control
//     characters stripped), never a password; logins naming an unknown
//     company have no company log and go to the relay's log only. Events
//     live one year (store.AuditRetention), purged by the retention sweep.
//   - Periodic work (retention, audit purge, unknown cards, session and
//     rate-limit prune, orphans) runs where store.ClaimRun says, so once per
//     interval across replicas; the claim is a tenth short of the interval,
//     since replicas tick out of phase.
//   - Rate limits are token buckets in the store, shared by replicas; a
//     store error refuses the attempt (a limit must not fail open).
//   - Agents are reached through the hub (hub.go): the local tunnel when
//     the agent is here, else a sealed call to the replica that has it
//     (Tunnels, Send), answered the same way; the caller waits on an
//     in-memory waiter until its context ends, never polling. Bodies
//     between replicas are bounded (256 KiB). Listing connected agents
//     (console, API, release choice, directory domains) reads Tunnels, so
//     every replica sees every agent.
//   - Admin console pages answer 404 to a signed-in user who is not an
//     admin; portal actions on another user's job answer 404 too. Forms
//     answer by showing their page again with a notice or an error (no
//     redirect), so a failed form keeps its status code.
//   - A portal release picks the agent that discovered the printer, else
//     the one that received the job, else any connected agent of the
//     company; the job is marked printed when the agent answers 200.
//   - Jobs uploaded in the portal have no agent: the agent that releases
//     them downloads the document from the relay, as for any job it lacks.
//   - The admin listener (/healthz, /metrics) is meant for loopback; New
//     warns when it is configured elsewhere but does not refuse, so a
//     container can expose it to its scraper.
package relay
