package installer

import (
	"context"
	"errors"

	"github.com/kardianos/service"
)

// useSystemLog sends the agent's log to the Event Log under the service's
// name when it runs as a service.
const useSystemLog = true

func platformOptions(Options) service.KeyValue {
	return service.KeyValue{
		"StartType":              "automatic",
		"DelayedAutoStart":       true,
		"OnFailure":              "restart",
		"OnFailureDelayDuration": "5s",
		"OnFailureResetPeriod":   86400,
	}
}

// Install registers the Windows service and its Event Log source. The MSI
// registers the service itself; then only the recovery actions are set.
func (m *Manager) Install(ctx context.Context) error {
	if _, err := m.svc.Status(); errors.Is(err, service.ErrNotInstalled) {
		if err := m.svc.Install(); err != nil {
			return wrap("install", err)
		}
	}
	_, err := RecoveryPlan().Execute(ctx, ExecRunner{})
	return err
}

// Uninstall removes the service and its Event Log source.
func (m *Manager) Uninstall(ctx context.Context) error { return wrap("uninstall", m.svc.Uninstall()) }

// Status asks the Service Control Manager.
func (m *Manager) Status() (State, error) { return m.managerState() }

func (m *Manager) startable() error { return nil }
