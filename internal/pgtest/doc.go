// Package pgtest runs a throwaway PostgreSQL cluster for tests.
//
// Start makes a private cluster (initdb) in a directory and runs the
// server on a free 127.0.0.1 port. Tests use Shared, one cluster per test
// binary started on first use, and NewDatabase, a fresh empty database on
// it per test; TestMain calls Main so the cluster stops when the tests end.
//
// Kill and Restart crash and restart a Server on the same port and data,
// for tests of what survives a PostgreSQL restart.
//
// Decisions:
//   - The binaries are Debian's (package postgresql): the newest
//     /usr/lib/postgresql/*/bin, or the directory in env PGTEST_BIN.
//     Without them Shared skips the test, except when env CI is set, where
//     a missing PostgreSQL is a failure.
//   - PostgreSQL refuses to run as root, so when we are root the cluster's
//     files belong to the postgres OS user and initdb and postgres run
//     under that user's uid and gid. Directories above the cluster get the
//     search bit (o+x) so that user can reach it (t.TempDir is 0700).
//   - Authentication is trust and the superuser is "edgeprint": the server
//     listens on loopback only and lives for one test binary.
//   - fsync and full_page_writes are off: the cluster is thrown away after
//     the tests, so crash safety buys nothing and costs a lot of time.
//     Never copy these settings to a real server.
//   - Main stops the server with a fast shutdown (SIGINT). If the test
//     binary dies without running Main's cleanup, the kernel sends the
//     postmaster SIGQUIT (Pdeathsig, immediate shutdown). Caveat: Linux
//     sends that signal when the OS thread that started the child exits,
//     not the process; Go keeps its threads alive unless a goroutine exits
//     while locked to one, so Start runs the child from a thread it locks
//     for the server's whole life.
package pgtest
