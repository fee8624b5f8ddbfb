// Package docstore keeps print documents on disk encrypted, one random key per
// document, so that destroying a document's key destroys the document even
// where the file system keeps old blocks. The agent's spool and the relay's
// embedded job store both use it; the caller keeps the key in its database.
//
// Files are written with the DARE format (github.com/minio/sio: AES-256-GCM
// in 64 KiB packages), so documents stream in and out without being held in
// memory and any tampering or truncation is an error on read. Write returns
// only once the file and its directory entry are on stable storage.
// WriteFile and SyncDir split that for callers that group-commit: many
// WriteFiles (each fsyncing its own file), then one SyncDir for all names.
// Segments (segments.go) go further for small documents: each is sealed in
// memory with its own key and written into space reserved in a shared
// segment file, and one fdatasync makes a whole batch durable.
package docstore
