package installer

import (
	"context"
	"errors"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows/svc/eventlog"
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
	} else {
		// Installed by the MSI, which registers no Event Log source;
		// an existing source is fine.
		_ = eventlog.InstallAsEventCreate(ServiceName, eventlog.Error|eventlog.Warning|eventlog.Info)
	}
	_, err := RecoveryPlan().Execute(ctx, ExecRunner{})
	return err
}

// Uninstall removes the service and its Event Log source.
func (m *Manager) Uninstall(ctx context.Context) error { return wrap("uninstall", m.svc.Uninstall()) }

// Status asks the Service Control Manager.
func (m *Manager) Status() (State, error) { return m.managerState() }

func (m *Manager) startable() error { return nil }
