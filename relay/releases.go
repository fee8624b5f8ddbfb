package relay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/update"
)

// Releases of the agent are files in the data dir, added by the operator
// ("edgeprint relay release add"), shared by every company:
//
//	DATA_DIR/releases/<os>-<arch>/<version>/release.json
//	DATA_DIR/releases/<os>-<arch>/<version>/binary
//
// The relay never signs: it serves what the release key's owner signed,
// and the agent verifies.
const (
	releasesDir     = "releases"
	releaseMetaFile = "release.json"
	releaseBinFile  = "binary"
)

// releaseToken is what an os, arch or version may look like: it becomes a
// path element.
var releaseToken = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$`)

func releasePath(dataDir, goos, arch, version string) (string, error) {
	for _, v := range []string{goos, arch, version} {
		if !releaseToken.MatchString(v) {
			return "", fmt.Errorf("relay: release: %q is not a valid os, arch or version", v)
		}
	}
	return filepath.Join(dataDir, releasesDir, goos+"-"+arch, version), nil
}

// AddRelease copies a signed agent binary into the relay's releases, after
// checking that its size and SHA-256 are the ones rel (and so its
// signature) names. Running relays serve it from their next request on.
func AddRelease(dataDir, binPath string, rel update.Release) error {
	dir, err := releasePath(dataDir, rel.OS, rel.Arch, rel.Version)
	if err != nil {
		return err
	}
	if rel.Signature == "" {
		return errors.New("relay: release: no signature")
	}
	src, err := os.Open(binPath)
	if err != nil {
		return fmt.Errorf("relay: release: %w", err)
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("relay: release: %w", err)
	}
	tmp := filepath.Join(dir, releaseBinFile+".tmp")
	dst, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("relay: release: %w", err)
	}
	defer os.Remove(tmp)
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(dst, h), src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("relay: release: %w", err)
	}
	if n != rel.Size || hex.EncodeToString(h.Sum(nil)) != rel.SHA256 {
		return fmt.Errorf("relay: release: %s is not the file the release describes (size or SHA-256 differ)", binPath)
	}
	meta, _ := json.MarshalIndent(rel, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, releaseMetaFile), meta, 0o600); err != nil {
		return fmt.Errorf("relay: release: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, releaseBinFile))
}

// latestRelease is the newest complete release for goos/arch.
func latestRelease(dataDir, goos, arch string) (update.Release, error) {
	var best update.Release
	if !releaseToken.MatchString(goos) || !releaseToken.MatchString(arch) {
		return best, store.ErrNotFound
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, releasesDir, goos+"-"+arch))
	if err != nil {
		return best, store.ErrNotFound
	}
	for _, e := range entries {
		rel, err := readRelease(dataDir, goos, arch, e.Name())
		if err != nil {
			continue // half-added or foreign
		}
		if best.Version == "" || update.Newer(rel.Version, best.Version) {
			best = rel
		}
	}
	if best.Version == "" {
		return best, store.ErrNotFound
	}
	return best, nil
}

func readRelease(dataDir, goos, arch, version string) (update.Release, error) {
	var rel update.Release
	dir, err := releasePath(dataDir, goos, arch, version)
	if err != nil {
		return rel, store.ErrNotFound
	}
	data, err := os.ReadFile(filepath.Join(dir, releaseMetaFile))
	if err != nil {
		return rel, store.ErrNotFound
	}
	if err := json.Unmarshal(data, &rel); err != nil || rel.Version != version || rel.OS != goos || rel.Arch != arch {
		return rel, store.ErrNotFound
	}
	if _, err := os.Stat(filepath.Join(dir, releaseBinFile)); err != nil {
		return rel, store.ErrNotFound
	}
	return rel, nil
}

// updatesOn reports whether neither the agent nor its company has
// updates turned off; it reads both fresh, as an admin may just have.
func (s *Server) updatesOn(r *http.Request, a store.Agent) (bool, error) {
	c, err := s.store.Company(r.Context(), a.CompanyID)
	if err != nil {
		return false, err
	}
	cur, err := s.store.Agent(r.Context(), a.ID)
	if err != nil {
		return false, err
	}
	return !c.UpdatesOff && !cur.UpdatesOff, nil
}

// agentLatestRelease is GET /agent/v1/release?os=&arch=&current=: the
// newest release when it is newer than current, else 204.
func (s *Server) agentLatestRelease(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	q := r.URL.Query()
	on, err := s.updatesOn(r, a)
	if err != nil {
		return err
	}
	if !on {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	rel, err := latestRelease(s.cfg.DataDir, q.Get("os"), q.Get("arch"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !update.Newer(rel.Version, q.Get("current"))) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rel)
	return nil
}

// agentReleaseBinary is GET /agent/v1/release/{version}/binary?os=&arch=.
func (s *Server) agentReleaseBinary(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	q := r.URL.Query()
	on, err := s.updatesOn(r, a)
	if err != nil {
		return err
	}
	if !on {
		return errorf(http.StatusForbidden, "updates are turned off for this agent")
	}
	rel, err := readRelease(s.cfg.DataDir, q.Get("os"), q.Get("arch"), r.PathValue("version"))
	if err != nil {
		return err
	}
	dir, _ := releasePath(s.cfg.DataDir, rel.OS, rel.Arch, rel.Version)
	f, err := os.Open(filepath.Join(dir, releaseBinFile))
	if err != nil {
		return store.ErrNotFound
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(rel.Size, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.Warn("release download cut", "agent", a.ID, "version", rel.Version, "err", err)
	}
	return nil
}

// announceUpdates asks the connected agents of companyID (only agentID's,
// when set), on every replica, to check for a release now, after an admin
// turned updates on. Best effort, like configuration pushes: an agent
// that misses it checks at its next connect or tick.
func (s *Server) announceUpdates(companyID, agentID string) {
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	defer cancel()
	if err := s.hub.broadcast(ctx, hubMessage{Kind: kindUpdate, Company: companyID, Agent: agentID}); err != nil {
		s.log.Warn("update not announced to the other replicas", "company", companyID, "err", err)
		s.background.Go(func() { s.announceLocal(companyID, agentID) })
	}
}

// announceLocal is announceUpdates for the agents on this replica; it
// returns once every one answered or timed out.
func (s *Server) announceLocal(companyID, agentID string) {
	var wg sync.WaitGroup
	for _, c := range s.agents.company(companyID) {
		if agentID != "" && c.agent.ID != agentID {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
			defer cancel()
			if _, err := callLocal(ctx, c, agentRequest{Method: http.MethodPost, Path: "/relay/v1/update"}); err != nil {
				s.log.Info("update announcement not delivered", "agent", c.agent.ID, "err", err)
			}
		})
	}
	wg.Wait()
}

// versionHeader carries the agent's version on its tunnel handshake, so
// the console shows what an update rolled out.
const versionHeader = "X-Edgeprint-Version"

// recordAgentVersion stores the version a connecting agent reports when it
// changed since registration or the last connect.
func (s *Server) recordAgentVersion(r *http.Request, a store.Agent) store.Agent {
	v := r.Header.Get(versionHeader)
	if v == "" || v == a.Version || !releaseToken.MatchString(v) {
		return a
	}
	updated, err := s.store.UpdateAgent(r.Context(), a.CompanyID, a.ID, func(a *store.Agent) error {
		a.Version = v
		return nil
	})
	if err != nil {
		s.log.Warn("record agent version", "agent", a.ID, "err", err)
		return a
	}
	s.log.Info("agent version changed", "agent", a.ID, "from", a.Version, "to", v)
	return updated
}
