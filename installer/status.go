package installer

import (
	"errors"

	"github.com/kardianos/service"
)

// State is what "edgeprint service status" reports.
type State struct {
	Installed bool
	Running   bool
	// Detail says where and why, in words for an admin.
	Detail string
}

func (s State) String() string {
	head := "not installed"
	switch {
	case s.Running:
		head = "running"
	case s.Installed:
		head = "installed, not running"
	}
	if s.Detail != "" {
		return head + " (" + s.Detail + ")"
	}
	return head
}

// managerState asks the service manager kardianos chose.
func (m *Manager) managerState() (State, error) {
	st, err := m.svc.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return State{Detail: m.System()}, nil
	case err != nil:
		return State{Detail: m.System() + " cannot tell: " + err.Error()}, nil
	case st == service.StatusRunning:
		return State{Installed: true, Running: true, Detail: m.System()}, nil
	case st == service.StatusStopped:
		return State{Installed: true, Detail: m.System()}, nil
	}
	return State{Detail: "unknown to " + m.System()}, nil
}
