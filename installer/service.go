package installer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/kardianos/service"
)

// ServiceName is the service's name on every system.
const ServiceName = "edgeprint-agent"

// stopTimeout bounds how long Stop waits for the agent to drain.
const stopTimeout = 20 * time.Second

// Options says what the service runs.
type Options struct {
	// Executable is the binary the service starts; the running one when empty.
	Executable string
	// ConfigPath is passed to "edgeprint service run --config".
	ConfigPath string
	// DataDir is the agent's data directory, the one place the Linux unit
	// lets it write.
	DataDir string
	Logger  *slog.Logger
}

// RunFunc is the service's work; it returns when ctx is cancelled.
type RunFunc func(ctx context.Context, log *slog.Logger) error

// Manager installs and controls the agent's service.
type Manager struct {
	opts Options
	svc  service.Service
	prog *program
}

// NewManager prepares control of the service; run is what "service run"
// does inside it (nil for the control commands).
func NewManager(o Options, run RunFunc) (*Manager, error) {
	if o.ConfigPath == "" {
		o.ConfigPath = ConfigPath
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &program{run: run, log: o.Logger}
	svc, err := service.New(p, serviceConfig(o))
	if err != nil {
		return nil, fmt.Errorf("installer: %w", err)
	}
	return &Manager{opts: o, svc: svc, prog: p}, nil
}

func serviceConfig(o Options) *service.Config {
	return &service.Config{
		Name:        ServiceName,
		DisplayName: "edgeprint agent",
		Description: "edgeprint secure pull printing: the site's print queue, card readers and printers.",
		Executable:  o.Executable,
		Arguments:   []string{"service", "run", "--config", o.ConfigPath},
		UserName:    ServiceUser,
		Option:      platformOptions(o),
	}
}

// System names the service manager in use ("linux-systemd", "windows-service", …).
func (m *Manager) System() string { return m.svc.Platform() }

// Start starts the installed service.
func (m *Manager) Start() error {
	if err := m.startable(); err != nil {
		return err
	}
	return wrap("start", m.svc.Start())
}

// Stop stops the service.
func (m *Manager) Stop() error {
	if err := m.startable(); err != nil {
		return err
	}
	return wrap("stop", m.svc.Stop())
}

// Restart restarts the service.
func (m *Manager) Restart() error {
	if err := m.startable(); err != nil {
		return err
	}
	return wrap("restart", m.svc.Restart())
}

// Run is "edgeprint service run": it serves the service manager until it
// says stop. The logger is the system's (the Event Log on Windows) when
// running as a service.
func (m *Manager) Run() error {
	if !service.Interactive() {
		if l, err := m.svc.Logger(nil); err == nil && useSystemLog {
			m.prog.log = slog.New(newServiceHandler(l, slog.LevelInfo))
		}
	}
	return wrap("run", m.svc.Run())
}

// ChildLog is where the supervised agent's own log lines go: stderr, or,
// inside a Windows service, the Event Log line by line.
func (m *Manager) ChildLog() io.Writer {
	if !useSystemLog || service.Interactive() {
		return os.Stderr
	}
	return lineLogger{m.prog.log}
}

// Failed reports the error the work ended with, when it ended on its own.
func (m *Manager) Failed() error { return m.prog.failed() }

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, service.ErrNotInstalled) {
		return fmt.Errorf("installer: %s: %w", what, ErrNotInstalled)
	}
	return fmt.Errorf("installer: %s %s: %w", what, ServiceName, err)
}

// Errors of service control.
var (
	// ErrNotInstalled means the service is not installed.
	ErrNotInstalled = errors.New("service is not installed")
	// ErrNoServiceManager means the service is installed but nothing on
	// this machine can start it (a unit file without a running systemd).
	ErrNoServiceManager = errors.New("no running service manager to start it")
)

// program adapts a RunFunc to kardianos's Start/Stop.
type program struct {
	run    RunFunc
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	err error
}

func (p *program) Start(s service.Service) error {
	if p.run == nil {
		return errors.New("installer: nothing to run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		err := p.run(ctx, p.log)
		if ctx.Err() != nil {
			return // asked to stop
		}
		if err == nil {
			err = errors.New("agent stopped on its own")
		}
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		p.log.Error("service work ended", "err", err)
		// Let the service manager see a failure and restart us.
		exitProcess(1)
	}()
	return nil
}

func (p *program) Stop(s service.Service) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.log.Warn("agent did not stop in time", "timeout", stopTimeout)
	}
	return nil
}

func (p *program) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
