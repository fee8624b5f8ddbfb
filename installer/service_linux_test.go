package installer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/agent"
)

func TestUnitFile(t *testing.T) {
	u := UnitFile("/opt/edgeprint/edgeprint", "/opt/edgeprint/agent.json", "/srv/edgeprint")
	for _, want := range []string{
		"ExecStart=/opt/edgeprint/edgeprint service run --config /opt/edgeprint/agent.json\n",
		"User=edgeprint\n",
		"NoNewPrivileges=yes\n",
		"ProtectSystem=strict\n",
		"ReadWritePaths=/srv/edgeprint\n",
		"ConditionPathExists=/srv/edgeprint/identity.json\n",
		"AmbientCapabilities=CAP_NET_BIND_SERVICE\n",
		"Restart=always\n",
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(u, "{{") {
		t.Error("unit has template braces kardianos would expand")
	}
	if packaged := UnitFile(packagedBinary, ConfigPath, dataDir); packaged != unitFile || !strings.Contains(packaged, "ExecStart=/usr/bin/edgeprint service run --config /etc/edgeprint/agent.json\n") {
		t.Error("packaged unit does not run /usr/bin/edgeprint with /etc/edgeprint/agent.json")
	}
}

func TestDefaultConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "agent.json")
	wrote, err := WriteDefaultConfig(path)
	if err != nil || !wrote {
		t.Fatalf("wrote %v, err %v", wrote, err)
	}
	cfg, err := agent.LoadConfig(path)
	if err != nil {
		t.Fatalf("default config does not load: %v", err)
	}
	if host, _ := os.Hostname(); cfg.Site != host {
		t.Errorf("site %q, want the host name", cfg.Site)
	}
	if wrote, err := WriteDefaultConfig(path); err != nil || wrote {
		t.Fatalf("overwrote an existing config: %v %v", wrote, err)
	}
	// The packages ship the same defaults as a conffile.
	if _, err := agent.LoadConfig(filepath.Join("..", "packaging", "agent.json")); err != nil {
		t.Errorf("packaging/agent.json: %v", err)
	}
}
