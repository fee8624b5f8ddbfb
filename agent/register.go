package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/certs"
)

const registerTimeout = 30 * time.Second

// Registration is what registering an agent takes. The admin's email and
// password are sent once, over TLS, and never kept.
type Registration struct {
	RelayURL         string
	RelayFingerprint string
	Company          string
	ActivationCode   string
	AdminEmail       string
	AdminPassword    Secret
	Name             string // shown in the console; the host name by default
	Version          string
}

// Register exchanges an activation code and an admin's credentials for an
// agent identity and saves it in dataDir.
func Register(ctx context.Context, dataDir string, r Registration) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	body, _ := json.Marshal(map[string]string{
		"company": r.Company, "activation_code": r.ActivationCode,
		"email": r.AdminEmail, "password": r.AdminPassword.Reveal(),
		"machine_hash": MachineHash(), "name": r.Name, "version": r.Version,
	})
	base := strings.TrimRight(r.RelayURL, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/agents/register", bytes.NewReader(body))
	if err != nil {
		return Identity{}, fmt.Errorf("agent: register: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: certs.PinnedConfig(r.RelayFingerprint)}}
	resp, err := client.Do(req)
	if err != nil {
		return Identity{}, fmt.Errorf("agent: register at %s: %w (a relay with a self-signed certificate needs --relay-fingerprint)", base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusCreated {
		return Identity{}, fmt.Errorf("agent: register: relay answered %s: %s", resp.Status, errorText(data))
	}
	var out struct {
		AgentID string `json:"agent_id"`
		Secret  string `json:"secret"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.AgentID == "" || out.Secret == "" {
		return Identity{}, fmt.Errorf("agent: register: unexpected answer from the relay")
	}
	id := Identity{AgentID: out.AgentID, Secret: Secret(out.Secret), Company: r.Company,
		RelayURL: base, RelayFingerprint: r.RelayFingerprint}
	return id, id.Save(dataDir)
}

// errorText pulls the message out of a relay error body.
func errorText(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(body))
}
