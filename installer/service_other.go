//go:build !linux && !windows

package installer

import (
	"context"

	"github.com/kardianos/service"
)

const useSystemLog = false

func platformOptions(Options) service.KeyValue { return nil }

// Install registers the service with the system's manager.
func (m *Manager) Install(ctx context.Context) error { return wrap("install", m.svc.Install()) }

// Uninstall removes it.
func (m *Manager) Uninstall(ctx context.Context) error { return wrap("uninstall", m.svc.Uninstall()) }

// Status asks the system's manager.
func (m *Manager) Status() (State, error) { return m.managerState() }

func (m *Manager) startable() error { return nil }
