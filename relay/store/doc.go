// Package store defines what the relay keeps about companies, users, cards,
// tokens, activation codes, agents, printers, readers and jobs, and the
// Store interface a backend implements: package store/bolt is the embedded
// default (one bbolt file); a PostgreSQL backend for a replicated relay will
// implement the same interface and pass the same suite (store/storetest).
//
// Every record but a company belongs to one company, and every method that
// reads or changes such a record takes the company id: a caller cannot reach
// another company's data by id. The few global look-ups (company by code,
// token by hash, agent by id) are the entry points that establish which
// company a request acts for.
//
// A store keeps no secrets in the clear: passwords are argon2id hashes,
// tokens, agent secrets and activation codes are SHA-256 hashes, and a job's
// document key is stored wrapped by the relay's master key. Documents
// themselves live in a docstore directory beside the store; a Job only names
// its document (DocID).
package store
