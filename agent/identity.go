package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotRegistered means the data directory holds no identity yet.
var ErrNotRegistered = errors.New("agent: not registered with a relay: run 'edgeprint agent register'")

const identityFile = "identity.json"

// Secret is a credential that never shows in logs or JSON.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }
func (s Secret) Reveal() string             { return string(s) }
func (s Secret) GoString() string           { return s.String() }
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	err := json.Unmarshal(b, &v)
	*s = Secret(v)
	return err
}

// Identity is what registration gave this agent.
type Identity struct {
	AgentID          string
	Secret           Secret
	Company          string
	RelayURL         string
	RelayFingerprint string // pinned certificate key, "" to trust system roots
}

// identityOnDisk is the file format; it reveals the secret, Identity does not.
type identityOnDisk struct {
	AgentID          string `json:"agent_id"`
	Secret           string `json:"secret"`
	Company          string `json:"company"`
	RelayURL         string `json:"relay_url"`
	RelayFingerprint string `json:"relay_fingerprint,omitempty"`
}

// LoadIdentity reads the identity in dataDir.
func LoadIdentity(dataDir string) (Identity, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, identityFile))
	if errors.Is(err, os.ErrNotExist) {
		return Identity{}, ErrNotRegistered
	} else if err != nil {
		return Identity{}, fmt.Errorf("agent: read identity: %w", err)
	}
	var d identityOnDisk
	if err := decodeStrict(data, &d); err != nil {
		return Identity{}, fmt.Errorf("agent: identity file: %w", err)
	}
	if d.AgentID == "" || d.Secret == "" || d.RelayURL == "" {
		return Identity{}, fmt.Errorf("agent: identity file is incomplete: register again")
	}
	return Identity{AgentID: d.AgentID, Secret: Secret(d.Secret), Company: d.Company,
		RelayURL: d.RelayURL, RelayFingerprint: d.RelayFingerprint}, nil
}

// Save writes the identity readable by the service account only, replacing
// any older one atomically.
func (id Identity) Save(dataDir string) error {
	data, err := json.MarshalIndent(identityOnDisk{AgentID: id.AgentID, Secret: id.Secret.Reveal(),
		Company: id.Company, RelayURL: id.RelayURL, RelayFingerprint: id.RelayFingerprint}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	tmp := filepath.Join(dataDir, identityFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("agent: write identity: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dataDir, identityFile))
}

// MachineHash identifies this machine to the relay, so a copied identity
// file does not work elsewhere. It hashes the OS machine id, never sends it.
func MachineHash() string {
	id := strings.TrimSpace(machineID())
	if id == "" {
		id, _ = os.Hostname()
	}
	sum := sha256.Sum256([]byte("edgeprint-machine:" + id))
	return hex.EncodeToString(sum[:])
}
