package relay

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/password"
	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	defaultCodeTTLHours = 24
	maxCodeTTLHours     = 7 * 24
	maxVersionLen       = 64
)

type activationCodeRequest struct {
	TTLHours int `json:"ttl_hours"`
}

type activationCodeResponse struct {
	Code    string    `json:"code"`
	Expires time.Time `json:"expires"`
}

func (s *Server) createActivationCode(w http.ResponseWriter, r *http.Request, companyID string) error {
	req := activationCodeRequest{TTLHours: defaultCodeTTLHours}
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	if req.TTLHours == 0 {
		req.TTLHours = defaultCodeTTLHours
	}
	if req.TTLHours < 1 || req.TTLHours > maxCodeTTLHours {
		return badRequest("ttl_hours must be 1 to %d", maxCodeTTLHours)
	}
	now := time.Now().UTC()
	code := newActivationCode()
	ac := store.ActivationCode{
		Hash:      hashSecret(normalizeActivationCode(code)),
		CompanyID: companyID,
		Created:   now,
		Expires:   now.Add(time.Duration(req.TTLHours) * time.Hour).Truncate(time.Second),
	}
	if err := s.store.CreateActivationCode(r.Context(), ac); err != nil {
		return err
	}
	s.log.Info("activation code created", "company", companyID, "expires", ac.Expires)
	writeJSON(w, http.StatusCreated, activationCodeResponse{Code: code, Expires: ac.Expires})
	return nil
}

type agentResponse struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Version    string    `json:"version"`
	Registered time.Time `json:"registered"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	Connected  bool      `json:"connected"`
	// UpdatesEnabled is the agent's own switch; the company's applies too.
	UpdatesEnabled bool `json:"updates_enabled"`
}

// toAgentResponse shows a; connected is the company's connected agents
// (hub.connected).
func toAgentResponse(a store.Agent, connected map[string]bool) agentResponse {
	return agentResponse{ID: a.ID, Name: a.Name, Version: a.Version, Registered: a.Registered,
		LastSeen: a.LastSeen, Connected: connected[a.ID], UpdatesEnabled: !a.UpdatesOff}
}

// patchAgent is PATCH /api/v1/agents/{id}: {"updates_enabled": false}.
func (s *Server) patchAgent(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req struct {
		UpdatesEnabled *bool `json:"updates_enabled"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	a, err := s.store.UpdateAgent(r.Context(), companyID, r.PathValue("id"), func(a *store.Agent) error {
		if req.UpdatesEnabled != nil {
			a.UpdatesOff = !*req.UpdatesEnabled
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Info("agent changed", "company", companyID, "agent", a.ID, "updates_enabled", !a.UpdatesOff)
	if !a.UpdatesOff {
		s.announceUpdates(companyID, a.ID)
	}
	writeJSON(w, http.StatusOK, toAgentResponse(a, s.hub.connected(r.Context(), companyID)))
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, companyID string) error {
	agents, err := s.store.Agents(r.Context(), companyID)
	if err != nil {
		return err
	}
	connected := s.hub.connected(r.Context(), companyID)
	out := make([]agentResponse, 0, len(agents))
	for _, a := range agents {
		out = append(out, toAgentResponse(a, connected))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type registerRequest struct {
	Company        string `json:"company"`
	ActivationCode string `json:"activation_code"`
	Email          string `json:"email"`
	Password       string `json:"password"`
	MachineHash    string `json:"machine_hash"`
	Name           string `json:"name"`
	Version        string `json:"version"`
}

// String keeps the admin's password out of any log line or error that
// formats the request.
func (r registerRequest) String() string {
	return fmt.Sprintf("register{company=%s name=%s version=%s}", r.Company, r.Name, r.Version)
}

type registerResponse struct {
	AgentID string `json:"agent_id"`
	Secret  string `json:"secret"`
}

// registerAgent is POST /api/v1/agents/register: an activation code and a
// company admin's credentials buy an agent id and secret. The credentials
// are checked and forgotten; they are not logged or stored.
func (s *Server) registerAgent(w http.ResponseWriter, r *http.Request) {
	if err := s.register(w, r); err != nil {
		writeError(w, r, s.log, err)
	}
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	if !s.registerByIP.allow(r.Context(), clientIP(r)) {
		return tooMany(w)
	}
	var req registerRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	code, err := store.NormalizeCompanyCode(req.Company)
	if err != nil {
		return badRequest("company: %v", err)
	}
	mh := strings.ToLower(strings.TrimSpace(req.MachineHash))
	if b, err := hex.DecodeString(mh); err != nil || len(b) != 32 {
		return badRequest("machine_hash must be a hex SHA-256")
	}
	name, err := cleanName("name", req.Name)
	if err != nil {
		return err
	}
	version := strings.TrimSpace(req.Version)
	if len(version) > maxVersionLen {
		return badRequest("version must be at most %d characters", maxVersionLen)
	}
	if !s.registerByCo.ok(r.Context(), code) {
		s.auditLoginByCode(r.Context(), code, store.ChannelAPI, req.Email, "", clientIP(r), errRateLimited)
		return tooMany(w)
	}
	secret := newAgentSecret()
	now := time.Now().UTC()
	a := store.Agent{ID: newID(), Name: name, Version: version, MachineHash: mh,
		SecretHash: hashSecret(secret), Registered: now}
	admin, err := s.registerWithCredentials(r.Context(), code, req, a)
	s.auditLoginByCode(r.Context(), code, store.ChannelAPI, req.Email, admin.ID, clientIP(r), err)
	if errors.Is(err, errUnauthorized) {
		s.registerByCo.allow(r.Context(), code) // failures count against the company
	}
	if err != nil {
		return err
	}
	s.log.Info("agent registered", "company", admin.CompanyID, "agent", a.ID, "name", a.Name, "by", admin.ID)
	writeJSON(w, http.StatusCreated, registerResponse{AgentID: a.ID, Secret: secret})
	return nil
}

// registerWithCredentials checks the admin's credentials and the activation
// code of the company with code and creates a in that company. It returns
// the admin, or errUnauthorized whatever was wrong.
func (s *Server) registerWithCredentials(ctx context.Context, code string, req registerRequest, a store.Agent) (store.User, error) {
	company, err := s.store.CompanyByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		password.Burn(req.Password)
		return store.User{}, errUnauthorized
	} else if err != nil {
		return store.User{}, err
	}
	admin, err := s.checkPassword(ctx, company.ID, req.Email, req.Password)
	if err != nil {
		return store.User{}, err
	}
	if !admin.Admin {
		return store.User{}, errUnauthorized
	}
	a.CompanyID = company.ID
	codeHash := hashSecret(normalizeActivationCode(req.ActivationCode))
	if err := s.store.RegisterAgent(ctx, codeHash, a.Registered, a); errors.Is(err, store.ErrCodeUnusable) {
		return store.User{}, errUnauthorized
	} else if err != nil {
		return store.User{}, err
	}
	return admin, nil
}

// tooMany answers a rate-limited credential check.
func tooMany(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", "10")
	return errorf(http.StatusTooManyRequests, "too many attempts: try again later")
}
