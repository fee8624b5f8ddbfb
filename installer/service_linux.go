package installer

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/kardianos/service"
)

//go:embed systemd/edgeprint-agent.service
var unitFile string

// Installed paths the unit file names; a hand install swaps in its own.
const (
	packagedBinary = "/usr/bin/edgeprint"
	dataDir        = "/var/lib/edgeprint"
)

// useSystemLog is false: journald already keeps what the agent writes to
// stderr, with levels, so syslog would only duplicate it.
const useSystemLog = false

// UnitFile is the systemd unit for a binary at exe with its config at cfg
// and its data in data.
func UnitFile(exe, cfg, data string) string {
	u := strings.Replace(unitFile, "ExecStart="+packagedBinary+" service run --config "+ConfigPath,
		"ExecStart="+exe+" service run --config "+cfg, 1)
	return strings.ReplaceAll(u, dataDir, data)
}

func platformOptions(o Options) service.KeyValue {
	exe := o.Executable
	if exe == "" {
		exe, _ = os.Executable()
	}
	data := o.DataDir
	if data == "" {
		data = dataDir
	}
	return service.KeyValue{"SystemdScript": UnitFile(exe, o.ConfigPath, data)}
}

// systemdRunning is systemd's own test (sd_booted).
func systemdRunning() bool {
	_, err := os.Stat("/run/systemd/system")
	return err == nil
}

// packagedUnit is the unit the .deb or .rpm installed, if any.
func packagedUnit() string {
	for _, p := range []string{UnitPath, "/usr" + UnitPath} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Install makes the service start at boot. A packaged unit is only enabled;
// a hand install gets the same unit (or the init system's own script) and
// the service account.
func (m *Manager) Install(ctx context.Context) error {
	if err := ensureUser(ctx, ExecRunner{}); err != nil {
		return err
	}
	if packagedUnit() != "" {
		if m.opts.DataDir != "" && filepath.Clean(m.opts.DataDir) != dataDir {
			return fmt.Errorf("installer: the packaged unit lets the agent write only %s, not data_dir %s: keep the default, or add a systemd drop-in with ReadWritePaths=", dataDir, m.opts.DataDir)
		}
		if !systemdRunning() {
			return nil // enabled by the package's own scripts once systemd runs
		}
		_, err := Plan{
			{Name: "systemctl", Args: []string{"daemon-reload"}},
			{Name: "systemctl", Args: []string{"enable", ServiceName}},
		}.Execute(ctx, ExecRunner{})
		return err
	}
	return wrap("install", m.svc.Install())
}

// Uninstall removes what Install added; the packaged unit stays with the
// package.
func (m *Manager) Uninstall(ctx context.Context) error {
	if packagedUnit() != "" {
		if !systemdRunning() {
			return nil
		}
		_, err := Plan{{Name: "systemctl", Args: []string{"disable", ServiceName}, MayFail: true}}.Execute(ctx, ExecRunner{})
		return err
	}
	return wrap("uninstall", m.svc.Uninstall())
}

// Status reports the service's state honestly: a unit in place on a
// machine that does not run systemd is installed, and not running.
func (m *Manager) Status() (State, error) {
	unit := packagedUnit()
	if unit == "" {
		if _, err := os.Stat(HandUnitPath); err == nil {
			unit = HandUnitPath
		}
	}
	if unit != "" && !systemdRunning() {
		return State{Installed: true, Detail: fmt.Sprintf("unit %s; systemd is not running on this machine (init is %s), so nothing starts it", unit, initName())}, nil
	}
	if unit == "" && m.System() == "unix-systemv" {
		if _, err := os.Stat("/etc/init.d/" + ServiceName); err != nil {
			return State{Detail: "no unit and no /etc/init.d/" + ServiceName}, nil
		}
	}
	st, err := m.managerState()
	if unit != "" {
		st.Detail = strings.TrimSpace(st.Detail + ", unit " + unit)
	}
	return st, err
}

// startable refuses start/stop early where no service manager could do it.
func (m *Manager) startable() error {
	if packagedUnit() != "" && !systemdRunning() {
		return fmt.Errorf("installer: %w: systemd is not running on this machine (init is %s); 'edgeprint service run' runs the agent in the foreground", ErrNoServiceManager, initName())
	}
	return nil
}

func initName() string {
	b, err := os.ReadFile("/proc/1/comm")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// ensureUser creates the edgeprint system account, as postinstall.sh does.
func ensureUser(ctx context.Context, r Runner) error {
	if _, err := user.Lookup(ServiceUser); err == nil {
		return nil
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		return fmt.Errorf("installer: no %s account and no useradd to create it", ServiceUser)
	}
	_, err := r.Run(ctx, "useradd", "--system", "--user-group", "--home-dir", dataDir,
		"--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "edgeprint agent", ServiceUser)
	return err
}
