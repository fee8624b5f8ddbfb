// Package password hashes and verifies passwords with argon2id, in the PHC
// string format that other tools read:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>$<hash, same>
//
// The default parameters are OWASP's first recommendation for argon2id
// (19 MiB of memory, 2 passes, 1 lane). Verify takes the parameters from the
// stored string, so raising them later keeps old hashes working, and
// NeedsRehash tells when to store a new hash at the next login.
package password
