// Package update verifies, installs and rolls back new agent binaries.
//
// How an update runs, step by step:
//  1. The agent asks the relay for the newest release for its OS and
//     architecture (docs/agent-protocol.md) and gets a Release: version,
//     size, SHA-256 and an Ed25519 signature.
//  2. It streams the binary over the tunnel into DIR/edgeprint.new, where
//     DIR is DATA_DIR/bin, the one place the service may write. Size,
//     SHA-256 and the signature over Message(release) are checked against
//     the public key compiled into the agent; anything wrong deletes the
//     download and changes nothing else.
//  3. Install keeps the running update (if any) as edgeprint.old, renames
//     the new one into place and records it as pending in state.json. The
//     agent exits with ExitUpdated.
//  4. The Supervisor ("edgeprint service run") starts the pending binary
//     and gives it a probation window to report itself healthy (it writes
//     its version to the health file once it has reached the relay). If it
//     exits or stays silent, the Supervisor restores edgeprint.old (or the
//     packaged binary) and starts that instead.
//
// The packaged binary (/usr/bin/edgeprint, Program Files) is never
// modified: the package manager owns it, and a package upgrade to a newer
// version wins over an older downloaded one.
package update
