package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/edgeprint/edgeprint/tunnel"
)

// SiteConfig is what the relay tells the agent about its company's printers
// and readers (docs/agent-protocol.md).
type SiteConfig struct {
	Company  CompanyInfo `json:"company"`
	Printers []Printer   `json:"printers"`
	Readers  []Reader    `json:"readers"`
}

// CompanyInfo names the company and its retention policy.
type CompanyInfo struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Retention string `json:"retention"`
	// AutoRelease: release a user's held jobs as soon as they sign in at
	// a printer's panel. SecurePrintRequired: every job is held.
	AutoRelease         bool `json:"auto_release"`
	SecurePrintRequired bool `json:"secure_print_required"`
}

// Printer is a release target.
type Printer struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Queue    string `json:"queue"`
	Enabled  bool   `json:"enabled"`
	// Color and Duplex are what the printer can do; nil when unknown.
	Color  *bool `json:"color,omitempty"`
	Duplex *bool `json:"duplex,omitempty"`
}

// Reader is a network card reader and the printer it releases to, with
// its badge-release options (readers.go).
type Reader struct {
	ID        string `json:"id"`
	Model     string `json:"model"`
	Address   string `json:"address"`
	PrinterID string `json:"printer_id"`
	// Mode is "client" (the reader connects; default) or "server" (the
	// agent dials Address:Port).
	Mode string `json:"mode,omitempty"`
	Port int    `json:"port,omitempty"`
	// Conversion is the reader's own card conversion chain (JSON list of
	// cardreader steps), run after the model's.
	Conversion json.RawMessage `json:"conversion,omitempty"`
	// Release is "all" (default) or "oldest" (one job per swipe).
	Release  string `json:"release,omitempty"`
	Feedback bool   `json:"feedback,omitempty"`
}

// RelayJob is a held job as the relay lists it.
type RelayJob struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	UserID  string    `json:"user_id"`
	User    string    `json:"user"`
	State   string    `json:"state"`
	Size    int64     `json:"size"`
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
}

// Errors of relay calls.
var (
	ErrRelayOffline = errors.New("agent: relay not connected")
	errNotFound     = errors.New("agent: relay: not found")
	errRejected     = errors.New("agent: relay: credentials rejected")
)

// relayCallTimeout bounds calls with small bodies; document transfers are
// bounded by their caller's context instead.
const relayCallTimeout = 15 * time.Second

// relayClient makes the agent's calls to the relay over the current tunnel.
type relayClient struct {
	session func(context.Context) *tunnel.Session
}

func (c relayClient) do(ctx context.Context, method, path string, header http.Header, body io.Reader) (*http.Response, error) {
	s := c.session(ctx)
	if s == nil {
		return nil, ErrRelayOffline
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://peer"+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if wl, ok := body.(withLength); ok {
		req.ContentLength = wl.n
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("agent: relay %s %s: %w", method, path, err)
	}
	return resp, nil
}

// callJSON sends in as JSON (nil for no body) and decodes the answer into out.
func (c relayClient) callJSON(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, relayCallTimeout)
	defer cancel()
	var body io.Reader
	h := http.Header{}
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
		h.Set("Content-Type", "application/json")
	}
	resp, err := c.do(ctx, method, path, h, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errNotFound
	case resp.StatusCode == http.StatusUnauthorized:
		return errRejected
	case resp.StatusCode >= 300:
		return fmt.Errorf("agent: relay %s %s: %s: %s", method, path, resp.Status, errorText(data))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func (c relayClient) authenticate(ctx context.Context, username, password string) (User, error) {
	var u User
	err := c.callJSON(ctx, http.MethodPost, "/agent/v1/auth", map[string]string{"username": username, "password": password}, &u)
	return u, err
}

func (c relayClient) lookupCard(ctx context.Context, card string) (User, error) {
	var u User
	err := c.callJSON(ctx, http.MethodPost, "/agent/v1/cards/lookup", map[string]string{"card": card}, &u)
	return u, err
}

func (c relayClient) siteConfig(ctx context.Context) (SiteConfig, error) {
	var sc SiteConfig
	err := c.callJSON(ctx, http.MethodGet, "/agent/v1/config", nil, &sc)
	return sc, err
}

func (c relayClient) heldJobs(ctx context.Context, userID string) ([]RelayJob, error) {
	var jobs []RelayJob
	q := url.Values{"user": {userID}, "state": {"held"}}
	err := c.callJSON(ctx, http.MethodGet, "/agent/v1/jobs?"+q.Encode(), nil, &jobs)
	return jobs, err
}

func (c relayClient) report(ctx context.Context, r StateReport) error {
	return c.callJSON(ctx, http.MethodPost, "/agent/v1/jobs/"+url.PathEscape(r.JobID)+"/state", r, nil)
}

// upload streams a job's document to the relay.
func (c relayClient) upload(ctx context.Context, j JobRecord, doc io.Reader) error {
	h := http.Header{}
	h.Set("Content-Type", j.Format)
	h.Set("X-Edgeprint-User", j.User.ID)
	h.Set("X-Edgeprint-Job-Name", j.Name)
	h.Set("X-Edgeprint-Created", j.Created.UTC().Format(time.RFC3339))
	resp, err := c.do(ctx, http.MethodPut, "/agent/v1/jobs/"+url.PathEscape(j.ID), h, withLength{doc, j.Size})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("agent: upload job %s: %s: %s", j.ID, resp.Status, errorText(data))
	}
	return nil
}

// document opens a job's document held at the relay.
func (c relayClient) document(ctx context.Context, jobID string) (io.ReadCloser, error) {
	resp, err := c.do(ctx, http.MethodGet, "/agent/v1/jobs/"+url.PathEscape(jobID)+"/document", nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("agent: relay document %s: %s", jobID, resp.Status)
	}
	return resp.Body, nil
}

// withLength is a body whose length is known, so it is sent with a
// Content-Length and the relay can reject a short upload.
type withLength struct {
	io.Reader
	n int64
}
