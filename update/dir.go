package update

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// Dir is where updates live: DATA_DIR/bin.
type Dir struct {
	Path string
}

// State is Dir's state.json.
type State struct {
	// Version of the binary at Current(); "" when there is none.
	Version string `json:"version,omitempty"`
	// Pending is true until that binary has reported itself healthy once.
	Pending bool `json:"pending,omitempty"`
	// Previous is the version of Old(); "" means the packaged binary.
	Previous string `json:"previous,omitempty"`
	// Rejected are versions that were rolled back, newest last; the agent
	// does not download them again.
	Rejected []string `json:"rejected,omitempty"`
}

// maxRejected bounds the rejected versions remembered.
const maxRejected = 10

// IsRejected reports whether version was rolled back here before.
func (s State) IsRejected(version string) bool {
	return slices.Contains(s.Rejected, version)
}

const stateFile = "state.json"

func exeName() string {
	if runtime.GOOS == "windows" {
		return "edgeprint.exe"
	}
	return "edgeprint"
}

// Current is the installed update, the binary the supervisor prefers.
func (d Dir) Current() string { return filepath.Join(d.Path, exeName()) }

// Old is the binary kept to roll back to.
func (d Dir) Old() string { return filepath.Join(d.Path, exeName()+".old") }

func (d Dir) staging() string { return filepath.Join(d.Path, exeName()+".new") }

// State reads state.json; no file is the zero State.
func (d Dir) State() (State, error) {
	var s State
	data, err := os.ReadFile(filepath.Join(d.Path, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	} else if err != nil {
		return s, fmt.Errorf("update: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("update: state: %w", err)
	}
	return s, nil
}

func (d Dir) saveState(s State) error {
	data, _ := json.Marshal(s)
	tmp := filepath.Join(d.Path, stateFile+".tmp")
	if err := writeSync(tmp, data, 0o600); err != nil {
		return fmt.Errorf("update: state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(d.Path, stateFile)); err != nil {
		return fmt.Errorf("update: state: %w", err)
	}
	return nil
}

// Download streams body into the staging file and verifies it against rel
// and pub. On any failure the staging file is removed; nothing else is
// touched. On success it returns the verified file's path.
func (d Dir) Download(body io.Reader, rel Release, pub ed25519.PublicKey) (string, error) {
	if err := rel.VerifySignature(pub); err != nil {
		return "", err // before a byte is written
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	path := d.staging()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o700)
	if err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(path)
		}
	}()
	h := sha256.New()
	// One byte more than promised shows an oversized body too.
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, rel.Size+1))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSize, err)
	}
	if n != rel.Size {
		return "", fmt.Errorf("%w: got %d bytes, want %d", ErrBadSize, n, rel.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != rel.SHA256 {
		return "", ErrBadChecksum
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	ok = true
	return path, nil
}

// Install puts a verified download in place as the pending current binary,
// keeping the one it replaces as Old.
func (d Dir) Install(verified string, rel Release) error {
	st, err := d.State()
	if err != nil {
		return err
	}
	next := State{Version: rel.Version, Pending: true, Rejected: st.Rejected}
	os.Remove(d.Old())
	if _, err := os.Stat(d.Current()); err == nil && st.Version != "" {
		if err := os.Rename(d.Current(), d.Old()); err != nil {
			return fmt.Errorf("update: keep old binary: %w", err)
		}
		next.Previous = st.Version
	}
	if err := os.Rename(verified, d.Current()); err != nil {
		return fmt.Errorf("update: install: %w", err)
	}
	return d.saveState(next)
}

// Apply is Download then Install.
func (d Dir) Apply(body io.Reader, rel Release, pub ed25519.PublicKey) error {
	p, err := d.Download(body, rel, pub)
	if err != nil {
		return err
	}
	return d.Install(p, rel)
}

// Commit marks the pending binary good and drops the old one.
func (d Dir) Commit() error {
	st, err := d.State()
	if err != nil || !st.Pending {
		return err
	}
	st.Pending, st.Previous = false, ""
	if err := d.saveState(st); err != nil {
		return err
	}
	os.Remove(d.Old())
	return nil
}

// Rollback restores Old as current, or, when the update replaced the
// packaged binary, removes the update so the packaged one runs again.
func (d Dir) Rollback() error {
	st, err := d.State()
	if err != nil {
		return err
	}
	rejected := append(slices.Clone(st.Rejected), st.Version)
	if len(rejected) > maxRejected {
		rejected = rejected[len(rejected)-maxRejected:]
	}
	if st.Previous != "" {
		if err := os.Rename(d.Old(), d.Current()); err != nil {
			return fmt.Errorf("update: roll back: %w", err)
		}
		return d.saveState(State{Version: st.Previous, Rejected: rejected})
	}
	if err := os.Remove(d.Current()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("update: roll back: %w", err)
	}
	return d.saveState(State{Rejected: rejected})
}

func writeSync(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
