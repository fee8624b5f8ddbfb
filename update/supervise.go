package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ExitUpdated is the exit code with which the agent says "a new binary is
// installed: start me again".
const ExitUpdated = 75

// HealthEnv names the file, passed to the child, where it writes its
// version once it is healthy.
const HealthEnv = "EDGEPRINT_HEALTH_FILE"

// Defaults of the Supervisor.
const (
	// DefaultProbation is how long a new binary has to report itself healthy.
	DefaultProbation = 3 * time.Minute
	// healthPoll is how often the health file is looked at.
	healthPoll = 200 * time.Millisecond
	// stopGrace is how long the child has to stop after being asked.
	stopGrace = 15 * time.Second
)

// ErrChildFailed means the agent process exited on its own with an error.
var ErrChildFailed = errors.New("update: agent exited")

// Supervisor runs the agent as a child process and carries an update
// through probation: a pending binary that exits or stays unhealthy for
// Probation is rolled back and the previous one started.
type Supervisor struct {
	Dir Dir
	// Installed is the packaged binary, run when there is no newer update.
	Installed string
	// InstalledVersion is its version.
	InstalledVersion string
	// Args are the child's arguments ("agent", "--config", FILE).
	Args []string
	// HealthFile is where the child reports health.
	HealthFile string
	Probation  time.Duration
	Logger     *slog.Logger
	// Stderr receives the child's log; os.Stderr when nil.
	Stderr io.Writer
}

// choose picks the binary to run and whether it is on probation.
func (s *Supervisor) choose() (bin, version string, pending bool, err error) {
	st, err := s.Dir.State()
	if err != nil {
		return "", "", false, err
	}
	if st.Version != "" && Newer(st.Version, s.InstalledVersion) {
		if _, err := os.Stat(s.Dir.Current()); err == nil {
			return s.Dir.Current(), st.Version, st.Pending, nil
		}
	}
	return s.Installed, s.InstalledVersion, false, nil
}

// Run supervises until ctx ends (nil) or the agent fails outside an update
// (ErrChildFailed, so the service manager restarts everything).
func (s *Supervisor) Run(ctx context.Context) error {
	if s.Probation <= 0 {
		s.Probation = DefaultProbation
	}
	if err := os.MkdirAll(filepath.Dir(s.HealthFile), 0o700); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	for {
		bin, version, pending, err := s.choose()
		if err != nil {
			return err
		}
		os.Remove(s.HealthFile)
		log := s.Logger.With("binary", bin, "version", version)
		child, err := s.start(ctx, bin)
		if err != nil {
			if pending {
				log.Error("update does not start, rolling back", "err", err)
				if err := s.Dir.Rollback(); err != nil {
					return err
				}
				continue
			}
			return err
		}
		log.Info("agent started", "pid", child.Process.Pid, "probation", pending)
		exited := make(chan error, 1)
		go func() { exited <- child.Wait() }()

		if pending {
			switch ok, err := s.probation(ctx, exited, version); {
			case ctx.Err() != nil:
				stop(child, exited)
				return nil
			case !ok:
				log.Error("update failed its probation, rolling back", "err", err)
				stop(child, exited)
				if err := s.Dir.Rollback(); err != nil {
					return err
				}
				continue
			}
			log.Info("update is healthy")
			if err := s.Dir.Commit(); err != nil {
				log.Error("commit update", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			stop(child, exited)
			return nil
		case err := <-exited:
			if ctx.Err() != nil {
				return nil // stopped together with us
			}
			if exitCode(err) == ExitUpdated {
				log.Info("agent installed an update, restarting it")
				continue
			}
			return fmt.Errorf("%w: %v", ErrChildFailed, err)
		}
	}
}

// probation waits for the child to write want to the health file.
func (s *Supervisor) probation(ctx context.Context, exited chan error, want string) (bool, error) {
	deadline := time.NewTimer(s.Probation)
	defer deadline.Stop()
	tick := time.NewTicker(healthPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case err := <-exited:
			exited <- err // stop() reads it again
			return false, fmt.Errorf("exited during probation: %v", err)
		case <-deadline.C:
			return false, fmt.Errorf("not healthy within %s", s.Probation)
		case <-tick.C:
			if b, err := os.ReadFile(s.HealthFile); err == nil && strings.TrimSpace(string(b)) == want {
				return true, nil
			}
		}
	}
}

func (s *Supervisor) start(ctx context.Context, bin string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, s.Args...)
	cmd.Env = append(os.Environ(), HealthEnv+"="+s.HealthFile)
	cmd.Stdout = os.Stdout
	cmd.Stderr = s.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("update: start %s: %w", bin, err)
	}
	return cmd, nil
}

// stop asks the child to stop, then kills it after stopGrace.
func stop(cmd *exec.Cmd, exited chan error) {
	askToStop(cmd.Process)
	select {
	case <-exited:
	case <-time.After(stopGrace):
		cmd.Process.Kill()
		<-exited
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// ReportHealthy is what the agent calls once it has reached the relay: it
// ends the probation of the binary it runs from.
func ReportHealthy(version string) error {
	path := os.Getenv(HealthEnv)
	if path == "" {
		return nil // not supervised
	}
	return os.WriteFile(path, []byte(version+"\n"), 0o600)
}

// Supervised reports whether this process runs under a Supervisor, the
// only case in which it may install updates and exit for them.
func Supervised() bool { return os.Getenv(HealthEnv) != "" }
