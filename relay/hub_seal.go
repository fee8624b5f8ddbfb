package relay

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
)

// replicaKeyInfo separates the replica message key from every other use
// of the master key.
const replicaKeyInfo = "edgeprint relay replica messages v1"

// replicaAEAD derives the AES-256-GCM key for messages between replicas.
func replicaAEAD(master []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, master, nil, replicaKeyInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// envelope is a message between replicas as the store carries it: the
// message id in the clear (the answer to a call carries the call's id)
// and the sealed hubMessage, with the id as additional data so a box
// cannot be replayed under another id.
type envelope struct {
	ID  string `json:"id"`
	Box []byte `json:"box"`
}

func sealMessage(aead cipher.AEAD, id string, m hubMessage) ([]byte, error) {
	plain, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	box := aead.Seal(nonce, nonce, plain, []byte(id))
	clear(plain) // may hold a password
	return json.Marshal(envelope{ID: id, Box: box})
}

var errBadEnvelope = errors.New("relay: replica message does not open")

func openMessage(aead cipher.AEAD, payload []byte) (string, hubMessage, error) {
	var env envelope
	var m hubMessage
	if err := json.Unmarshal(payload, &env); err != nil || env.ID == "" {
		return "", m, errBadEnvelope
	}
	n := aead.NonceSize()
	if len(env.Box) < n+aead.Overhead() {
		return "", m, errBadEnvelope
	}
	plain, err := aead.Open(nil, env.Box[:n], env.Box[n:], []byte(env.ID))
	if err != nil {
		return "", m, errBadEnvelope
	}
	defer clear(plain)
	if err := json.Unmarshal(plain, &m); err != nil {
		return "", m, fmt.Errorf("%w: %v", errBadEnvelope, err)
	}
	return env.ID, m, nil
}
