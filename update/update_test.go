package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// agentScript is a stand-in agent: it reports its version as healthy (or
// not, when broken), then runs until the test drops a trigger file, when
// it exits as an agent that has installed an update does.
func agentScript(version string, healthy bool) []byte {
	if !healthy {
		return []byte("#!/bin/sh\necho \"agent " + version + " cannot start\" >&2\nexit 1\n")
	}
	return []byte(`#!/bin/sh
echo "` + version + `" > "$` + HealthEnv + `"
while [ ! -e "$TRIGGER" ]; do sleep 0.05; done
rm -f "$TRIGGER"
exit ` + "75" + `
`)
}

func signed(t *testing.T, priv ed25519.PrivateKey, version string, body []byte) Release {
	t.Helper()
	sum := sha256.Sum256(body)
	r := Release{Version: version, OS: runtime.GOOS, Arch: runtime.GOARCH, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
	r.Sign(priv)
	return r
}

type rig struct {
	t       *testing.T
	dir     Dir
	health  string
	trigger string
	pub     ed25519.PublicKey
	priv    ed25519.PrivateKey
	done    chan error
	cancel  context.CancelFunc
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in agent is a shell script")
	}
	root := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(nil)
	installed := filepath.Join(root, "installed-edgeprint")
	if err := os.WriteFile(installed, agentScript("1.0.0", true), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, dir: Dir{Path: filepath.Join(root, "bin")}, health: filepath.Join(root, "health"),
		trigger: filepath.Join(root, "trigger"), pub: pub, priv: priv, done: make(chan error, 1)}
	t.Setenv("TRIGGER", r.trigger)
	s := &Supervisor{Dir: r.dir, Installed: installed, InstalledVersion: "1.0.0", HealthFile: r.health,
		Probation: 3 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(t.Context())
	r.cancel = cancel
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("supervisor: %v", err)
		}
	})
	return r
}

// waitHealthy waits for the running agent to report version.
func (r *rig) waitHealthy(version string) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(r.health); err == nil && strings.TrimSpace(string(b)) == version {
			return
		}
		select {
		case err := <-r.done:
			r.t.Fatalf("supervisor ended: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	r.t.Fatalf("agent %s never came up", version)
}

// restartForUpdate is the agent exiting after installing an update.
func (r *rig) restartForUpdate() {
	r.t.Helper()
	os.Remove(r.health)
	if err := os.WriteFile(r.trigger, nil, 0o600); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) state() State {
	r.t.Helper()
	st, err := r.dir.State()
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

func TestGoodUpdateIsAppliedAndAgentComesBack(t *testing.T) {
	r := newRig(t)
	r.waitHealthy("1.0.0")

	body := agentScript("1.1.0", true)
	if err := r.dir.Apply(bytes.NewReader(body), signed(t, r.priv, "1.1.0", body), r.pub); err != nil {
		t.Fatal(err)
	}
	r.restartForUpdate()
	r.waitHealthy("1.1.0")
	waitFor(t, func() bool { return !r.state().Pending }, "update committed")
	if st := r.state(); st.Version != "1.1.0" {
		t.Fatalf("state %+v, want 1.1.0 committed", st)
	}

	// A second update keeps the first as the one to roll back to.
	body2 := agentScript("1.2.0", true)
	if err := r.dir.Apply(bytes.NewReader(body2), signed(t, r.priv, "1.2.0", body2), r.pub); err != nil {
		t.Fatal(err)
	}
	if st := r.state(); st.Previous != "1.1.0" || !st.Pending {
		t.Fatalf("state %+v, want 1.2.0 pending over 1.1.0", st)
	}
	r.restartForUpdate()
	r.waitHealthy("1.2.0")
	waitFor(t, func() bool { return !r.state().Pending }, "second update committed")
	if _, err := os.Stat(r.dir.Old()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old binary kept after commit: %v", err)
	}
}

func TestBadDownloadsAreRejected(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	body := agentScript("2.0.0", true)
	good := signed(t, priv, "2.0.0", body)
	tampered := append(bytes.Clone(body[:len(body)-2]), "9\n"...)

	tests := []struct {
		name string
		body []byte
		rel  func() Release
		want error
	}{
		{"tampered binary", tampered, func() Release { return good }, ErrBadChecksum},
		{"truncated download", body[:len(body)/2], func() Release { return good }, ErrBadSize},
		{"longer than promised", append(bytes.Clone(body), "x"...), func() Release { return good }, ErrBadSize},
		{"signed by another key", body, func() Release { return signed(t, otherPriv, "2.0.0", body) }, ErrBadSignature},
		{"signature for another version", body, func() Release { r := good; r.Version = "9.0.0"; return r }, ErrBadSignature},
		{"re-signed tampered digest", tampered, func() Release {
			r := good
			sum := sha256.Sum256(tampered)
			r.SHA256 = hex.EncodeToString(sum[:])
			return r
		}, ErrBadSignature},
		{"no key built in", body, func() Release { return good }, ErrNoKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Dir{Path: t.TempDir()}
			key := pub
			if tc.want == ErrNoKey {
				key = nil
			}
			err := d.Apply(bytes.NewReader(tc.body), tc.rel(), key)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply: %v, want %v", err, tc.want)
			}
			entries, _ := os.ReadDir(d.Path)
			if len(entries) != 0 {
				t.Fatalf("rejected download left %v behind", entries)
			}
		})
	}
}

func TestUpdateThatFailsToStartIsRolledBack(t *testing.T) {
	r := newRig(t)
	r.waitHealthy("1.0.0")

	// First a good update, so the rollback target is itself an update.
	good := agentScript("1.1.0", true)
	if err := r.dir.Apply(bytes.NewReader(good), signed(t, r.priv, "1.1.0", good), r.pub); err != nil {
		t.Fatal(err)
	}
	r.restartForUpdate()
	r.waitHealthy("1.1.0")
	waitFor(t, func() bool { return !r.state().Pending }, "update committed")

	bad := agentScript("1.2.0", false)
	if err := r.dir.Apply(bytes.NewReader(bad), signed(t, r.priv, "1.2.0", bad), r.pub); err != nil {
		t.Fatal(err)
	}
	r.restartForUpdate()
	r.waitHealthy("1.1.0")
	if st := r.state(); st.Version != "1.1.0" || st.Pending || !st.IsRejected("1.2.0") {
		t.Fatalf("state %+v, want rolled back to 1.1.0 with 1.2.0 rejected", st)
	}
	got, _ := os.ReadFile(r.dir.Current())
	if !bytes.Equal(got, good) {
		t.Fatal("current binary is not the good one after rollback")
	}
}

func TestUpdateThatNeverReportsHealthyIsRolledBack(t *testing.T) {
	r := newRig(t)
	r.waitHealthy("1.0.0")
	silent := []byte("#!/bin/sh\nwhile :; do sleep 0.05; done\n")
	if err := r.dir.Apply(bytes.NewReader(silent), signed(t, r.priv, "1.1.0", silent), r.pub); err != nil {
		t.Fatal(err)
	}
	r.restartForUpdate()
	r.waitHealthy("1.0.0") // after the 3 s probation
	if st := r.state(); st.Version != "" || st.Pending || !st.IsRejected("1.1.0") {
		t.Fatalf("state %+v, want the packaged binary back and 1.1.0 rejected", st)
	}
}

func TestUpdateOverPackagedBinaryRollsBackToIt(t *testing.T) {
	r := newRig(t)
	r.waitHealthy("1.0.0")
	bad := agentScript("1.1.0", false)
	if err := r.dir.Apply(bytes.NewReader(bad), signed(t, r.priv, "1.1.0", bad), r.pub); err != nil {
		t.Fatal(err)
	}
	r.restartForUpdate()
	r.waitHealthy("1.0.0")
	if _, err := os.Stat(r.dir.Current()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("failed update still in place: %v", err)
	}
}

func TestNewer(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1.2.0", "1.1.9", true},
		{"v1.10.0", "1.9.0", true},
		{"1.1.0", "1.1.0", false},
		{"1.1.0", "1.1.0-dev", true},
		{"0.1.0-dev", "0.1.0", false},
		{"1.0", "1.0.1", false},
		{"2.0.0", "0.1.0-dev", true},
	}
	for _, tc := range tests {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			if got := Newer(tc.a, tc.b); got != tc.want {
				t.Fatalf("Newer(%q, %q) = %v", tc.a, tc.b, got)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
