package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"time"

	"github.com/edgeprint/edgeprint/update"
)

// updateCheckInterval is how often the agent asks the relay for a newer
// release; the relay can also push "check now" (POST /relay/v1/update).
const updateCheckInterval = 6 * time.Hour

// maxReleaseBody bounds the release description.
const maxReleaseBody = 64 << 10

// ErrUpdateInstalled ends Run when a verified update is in place: the
// process exits with update.ExitUpdated and its supervisor starts the new
// binary on probation.
var ErrUpdateInstalled = errors.New("agent: update installed, restarting into it")

// UpdateDir is where the agent keeps downloaded releases: DATA_DIR/bin,
// the one place the service account may write.
func UpdateDir(cfg Config) update.Dir {
	return update.Dir{Path: filepath.Join(cfg.DataDir, "bin")}
}

// Updates turns self-update on. Only a supervised agent (edgeprint service
// run) enables it: nothing else would start the new binary or roll it back.
type Updates struct {
	PublicKey ed25519.PublicKey
	// Interval between checks; updateCheckInterval when zero.
	Interval time.Duration
}

// EnableUpdates makes Run check for, download and install new releases.
func (a *Agent) EnableUpdates(u Updates) {
	if u.Interval <= 0 {
		u.Interval = updateCheckInterval
	}
	a.updates = &u
}

func (a *Agent) updateLoop(ctx context.Context) error {
	t := time.NewTicker(a.updates.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.updateKick:
		case <-t.C:
		}
		if a.session() == nil {
			continue
		}
		switch err := a.checkUpdate(ctx); {
		case errors.Is(err, ErrUpdateInstalled):
			return err
		case err != nil:
			a.log.Warn("update not installed", "err", err)
		}
	}
}

// checkUpdate asks for the newest release and installs it when it is
// newer than this binary and verifies.
func (a *Agent) checkUpdate(ctx context.Context) error {
	rel, ok, err := a.relay.latestRelease(ctx, a.version)
	if err != nil || !ok {
		return err
	}
	if rel.OS != runtime.GOOS || rel.Arch != runtime.GOARCH || !update.Newer(rel.Version, a.version) {
		return fmt.Errorf("agent: relay offered %s %s/%s to %s %s/%s", rel.Version, rel.OS, rel.Arch, a.version, runtime.GOOS, runtime.GOARCH)
	}
	dir := UpdateDir(a.cfg)
	if st, err := dir.State(); err != nil {
		return err
	} else if st.IsRejected(rel.Version) {
		// It failed its probation here once; retrying would loop.
		a.log.Info("not retrying an update that was rolled back", "version", rel.Version)
		return nil
	}
	a.log.Info("downloading update", "version", rel.Version, "size", rel.Size)
	body, err := a.relay.releaseBinary(ctx, rel)
	if err != nil {
		return err
	}
	defer body.Close()
	if err := dir.Apply(body, rel, a.updates.PublicKey); err != nil {
		return err
	}
	a.log.Info("update installed", "version", rel.Version)
	return ErrUpdateInstalled
}

// reportHealthy ends an update's probation once the agent reached the relay.
func (a *Agent) reportHealthy() {
	if err := update.ReportHealthy(a.version); err != nil {
		a.log.Error("report health to the supervisor", "err", err)
	}
}

// latestRelease is GET /agent/v1/release: ok is false when there is
// nothing newer, or updates are off for this agent or its company.
func (c relayClient) latestRelease(ctx context.Context, current string) (update.Release, bool, error) {
	q := url.Values{"os": {runtime.GOOS}, "arch": {runtime.GOARCH}, "current": {current}}
	ctx, cancel := context.WithTimeout(ctx, relayCallTimeout)
	defer cancel()
	resp, err := c.do(ctx, http.MethodGet, "/agent/v1/release?"+q.Encode(), nil, nil)
	if err != nil {
		return update.Release{}, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return update.Release{}, false, nil
	}
	var rel update.Release
	if resp.StatusCode != http.StatusOK {
		return rel, false, fmt.Errorf("agent: relay release: %s", resp.Status)
	}
	// Lenient: a newer relay may add fields.
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReleaseBody))
	if err == nil {
		err = json.Unmarshal(data, &rel)
	}
	if err != nil {
		return rel, false, fmt.Errorf("agent: relay release: %w", err)
	}
	return rel, true, nil
}

// releaseBinary streams a release's binary; the caller verifies it.
func (c relayClient) releaseBinary(ctx context.Context, rel update.Release) (io.ReadCloser, error) {
	q := url.Values{"os": {rel.OS}, "arch": {rel.Arch}}
	resp, err := c.do(ctx, http.MethodGet, "/agent/v1/release/"+url.PathEscape(rel.Version)+"/binary?"+q.Encode(), nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("agent: relay release binary: %s", resp.Status)
	}
	return resp.Body, nil
}
