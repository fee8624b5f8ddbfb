package relay

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

const (
	masterKeyFile = "master.key"
	masterKeySize = 32
	// wrapVersion prefixes every wrapped key, so the wrapping can change
	// (another cipher, a rotated master key) without guessing.
	wrapVersion = 1
)

// keyWrapper seals document keys with the relay's master key (AES-256-GCM).
// The job's company and id are the additional data: a wrapped key copied to
// another job record does not open.
type keyWrapper struct {
	aead cipher.AEAD
	// replicas seals messages between replicas (hub_seal.go) with a key
	// derived from the master key: every replica has the master key, the
	// database between them does not.
	replicas cipher.AEAD
}

// loadMasterKey reads DataDir/master.key, creating it (32 random bytes,
// mode 0600) on first start.
func loadMasterKey(dataDir string, log *slog.Logger) (*keyWrapper, error) {
	path := filepath.Join(dataDir, masterKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, masterKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("relay: master key: %w", err)
		}
		if err := writeNew(path, key); err != nil {
			return nil, fmt.Errorf("relay: master key: %w", err)
		}
		log.Info("created master key", "path", path)
	} else if err != nil {
		return nil, fmt.Errorf("relay: master key: %w", err)
	}
	if len(key) != masterKeySize {
		return nil, fmt.Errorf("relay: master key %s: %d bytes, want %d", path, len(key), masterKeySize)
	}
	if info, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		log.Warn("master key file is readable by others: chmod 600 it", "path", path, "mode", info.Mode().Perm().String())
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("relay: master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("relay: master key: %w", err)
	}
	replicas, err := replicaAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("relay: master key: %w", err)
	}
	return &keyWrapper{aead: aead, replicas: replicas}, nil
}

// writeNew writes data to a new file (never over an existing one) with
// mode 0600 and syncs it.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

func wrapAAD(companyID, jobID string) []byte {
	return []byte("edgeprint job key\x00" + companyID + "\x00" + jobID)
}

// wrap seals a document key: version byte, nonce, ciphertext and tag.
func (k *keyWrapper) wrap(docKey []byte, companyID, jobID string) ([]byte, error) {
	n := k.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(docKey)+k.aead.Overhead())
	out[0] = wrapVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("relay: wrap key: %w", err)
	}
	return k.aead.Seal(out, out[1:], docKey, wrapAAD(companyID, jobID)), nil
}

// unwrap opens what wrap sealed for the same job.
func (k *keyWrapper) unwrap(wrapped []byte, companyID, jobID string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(wrapped) < 1+n+k.aead.Overhead() || wrapped[0] != wrapVersion {
		return nil, errors.New("relay: unwrap key: bad format")
	}
	key, err := k.aead.Open(nil, wrapped[1:1+n], wrapped[1+n:], wrapAAD(companyID, jobID))
	if err != nil {
		return nil, fmt.Errorf("relay: unwrap key: %w", err)
	}
	return key, nil
}
