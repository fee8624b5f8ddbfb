// Package certs loads the TLS certificate an edgeprint listener serves, and
// generates a self-signed one on first start when the operator configured none.
//
// Clients that cannot verify a self-signed certificate through a CA pin it by
// its fingerprint: the SHA-256 of the certificate's SubjectPublicKeyInfo,
// written "sha256:<hex>". The fingerprint survives re-issuing the certificate
// with the same key, which is why it hashes the key and not the whole cert.
package certs
