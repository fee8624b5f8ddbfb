package relay

import "crypto/sha256"

// derive returns a 32-byte secret for purpose, fixed for this master key:
// SHA-256 of the AES-CTR keystream (the GCM ciphertext of a zero block
// under an all-zero nonce, which wrap never uses: it draws random nonces).
// The secret never leaves the process; it keys HMACs only.
func (k *keyWrapper) derive(purpose string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	ct := k.aead.Seal(nil, nonce, make([]byte, 32), nil)
	sum := sha256.Sum256(append(ct[:32], purpose...))
	return sum[:]
}
