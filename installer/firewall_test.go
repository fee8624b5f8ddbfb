package installer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/agent"
)

func TestPorts(t *testing.T) {
	tests := []struct {
		name string
		edit func(*agent.Config)
		want []string
	}{
		{"defaults", func(*agent.Config) {}, []string{"631/tcp", "7778/tcp", "7777/tcp", "2001/tcp", "15042/tcp", "15043/tcp", "5353/udp"}},
		{"not advertised", func(c *agent.Config) { c.IPP.DNSSD.Off = true }, []string{"631/tcp", "7778/tcp", "7777/tcp", "2001/tcp", "15042/tcp", "15043/tcp"}},
		{"readers and panel off", func(c *agent.Config) {
			c.CardReaders = agent.ReadersConfig{ElatecTCPConv: agent.Off, ElatecTCPConv2: agent.Off, RFIDeas241: ":2001"}
			c.Panel.ConvenienceAuthListen, c.Panel.SSOListen = agent.Off, agent.Off
		}, []string{"631/tcp", "2001/tcp", "5353/udp"}},
		{"loopback listener needs no rule", func(c *agent.Config) {
			c.IPP.Listen = "127.0.0.1:8631"
			c.CardReaders.RFIDeas241 = "localhost:2001"
			c.Panel.SSOListen = "127.0.0.1:15043"
		}, []string{"7778/tcp", "7777/tcp", "15042/tcp"}},
		{"moved ports, one address", func(c *agent.Config) {
			c.IPP.Listen = "10.0.0.5:8631"
			c.CardReaders.ElatecTCPConv = ":9000"
		}, []string{"8631/tcp", "9000/tcp", "7777/tcp", "2001/tcp", "15042/tcp", "15043/tcp", "5353/udp"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := agent.DefaultConfig()
			tc.edit(&cfg)
			ports, err := Ports(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ports {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("ports %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFirewallPlans(t *testing.T) {
	ports := []Port{{631, "tcp", "ipp"}, {2001, "tcp", "rfideas-241"}}
	tests := []struct {
		backend   Backend
		open      []string
		close     []string
		nftHandle []int
	}{
		{Firewalld, []string{
			"firewall-cmd --permanent --delete-service=edgeprint",
			"firewall-cmd --permanent --new-service=edgeprint",
			`firewall-cmd --permanent --service=edgeprint "--set-description=edgeprint agent listeners"`,
			"firewall-cmd --permanent --service=edgeprint --add-port=631/tcp",
			"firewall-cmd --permanent --service=edgeprint --add-port=2001/tcp",
			"firewall-cmd --permanent --add-service=edgeprint",
			"firewall-cmd --reload",
		}, []string{
			"firewall-cmd --permanent --remove-service=edgeprint",
			"firewall-cmd --permanent --delete-service=edgeprint",
			"firewall-cmd --reload",
		}, nil},
		{UFW, []string{
			`ufw allow 631/tcp comment "edgeprint ipp"`,
			`ufw allow 2001/tcp comment "edgeprint rfideas-241"`,
		}, []string{
			"ufw delete allow 631/tcp",
			"ufw delete allow 2001/tcp",
		}, nil},
		{NFTables, []string{
			`nft insert rule inet filter input tcp dport 631 accept comment "\"edgeprint\""`,
			`nft insert rule inet filter input tcp dport 2001 accept comment "\"edgeprint\""`,
		}, []string{
			"nft delete rule inet filter input handle 7",
			"nft delete rule inet filter input handle 9",
		}, []int{7, 9}},
		{Netsh, []string{
			`netsh advfirewall firewall delete rule "name=edgeprint 631/tcp"`,
			`netsh advfirewall firewall add rule "name=edgeprint 631/tcp" dir=in action=allow protocol=TCP localport=631 "program=C:\\Program Files\\edgeprint\\edgeprint.exe" enable=yes "description=edgeprint agent ipp"`,
			`netsh advfirewall firewall add rule "name=edgeprint 631/tcp" dir=in action=allow protocol=TCP localport=631 program=C:\ProgramData\edgeprint\bin\edgeprint.exe enable=yes "description=edgeprint agent ipp"`,
			`netsh advfirewall firewall delete rule "name=edgeprint 2001/tcp"`,
			`netsh advfirewall firewall add rule "name=edgeprint 2001/tcp" dir=in action=allow protocol=TCP localport=2001 "program=C:\\Program Files\\edgeprint\\edgeprint.exe" enable=yes "description=edgeprint agent rfideas-241"`,
			`netsh advfirewall firewall add rule "name=edgeprint 2001/tcp" dir=in action=allow protocol=TCP localport=2001 program=C:\ProgramData\edgeprint\bin\edgeprint.exe enable=yes "description=edgeprint agent rfideas-241"`,
		}, []string{
			`netsh advfirewall firewall delete rule "name=edgeprint 631/tcp"`,
			`netsh advfirewall firewall delete rule "name=edgeprint 2001/tcp"`,
		}, nil},
		{Manual, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(string(tc.backend), func(t *testing.T) {
			f := Firewall{Backend: tc.backend, Ports: ports,
				Programs: []string{`C:\Program Files\edgeprint\edgeprint.exe`, `C:\ProgramData\edgeprint\bin\edgeprint.exe`}}
			if got := planStrings(f.OpenPlan()); !slices.Equal(got, tc.open) {
				t.Errorf("open plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.open, "\n"))
			}
			if got := planStrings(f.ClosePlan(tc.nftHandle)); !slices.Equal(got, tc.close) {
				t.Errorf("close plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.close, "\n"))
			}
		})
	}
}

func planStrings(p Plan) []string {
	var out []string
	for _, c := range p {
		out = append(out, c.String())
	}
	return out
}

func TestNFTHandles(t *testing.T) {
	listing := `table inet filter {
	chain input { # handle 1
		type filter hook input priority filter; policy drop;
		tcp dport 2001 accept comment "edgeprint" # handle 9
		tcp dport 631 accept comment "edgeprint" # handle 7
		tcp dport 22 accept comment "ssh" # handle 3
		ct state established,related accept # handle 2
	}
}`
	if got := NFTHandles(listing); !slices.Equal(got, []int{9, 7}) {
		t.Fatalf("handles %v, want [9 7]", got)
	}
}

// fakeRunner records commands and fails the ones named in fail.
type fakeRunner struct {
	ran  []string
	fail map[string]bool
	out  map[string]string
}

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) (string, error) {
	c := Command{Name: name, Args: args}.String()
	f.ran = append(f.ran, c)
	if f.fail[c] {
		return "", errors.New("exit status 1")
	}
	return f.out[c], nil
}

func TestFirewallRunsPlan(t *testing.T) {
	ports := []Port{{631, "tcp", "ipp"}}
	t.Run("firewalld tolerates a missing service on first install", func(t *testing.T) {
		r := &fakeRunner{fail: map[string]bool{"firewall-cmd --permanent --delete-service=edgeprint": true}}
		f := Firewall{Backend: Firewalld, Ports: ports}
		if _, err := f.Open(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		if len(r.ran) != 6 {
			t.Fatalf("ran %d commands: %v", len(r.ran), r.ran)
		}
	})
	t.Run("a failing command stops the plan", func(t *testing.T) {
		r := &fakeRunner{fail: map[string]bool{`ufw allow 631/tcp comment "edgeprint ipp"`: true}}
		f := Firewall{Backend: UFW, Ports: append(ports, Port{2001, "tcp", "rfideas-241"})}
		if _, err := f.Open(t.Context(), r); err == nil {
			t.Fatal("no error")
		}
		if len(r.ran) != 1 {
			t.Fatalf("went on after a failure: %v", r.ran)
		}
	})
	t.Run("nftables close removes rules by handle", func(t *testing.T) {
		r := &fakeRunner{out: map[string]string{
			"nft -a list chain inet filter input": "tcp dport 631 accept comment \"edgeprint\" # handle 12\n",
		}}
		f := Firewall{Backend: NFTables, Ports: ports}
		if err := f.Close(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		want := []string{"nft -a list chain inet filter input", "nft delete rule inet filter input handle 12"}
		if !slices.Equal(r.ran, want) {
			t.Fatalf("ran %v, want %v", r.ran, want)
		}
	})
	t.Run("manual changes nothing and says what to open", func(t *testing.T) {
		r := &fakeRunner{}
		text, err := Firewall{Backend: Manual, Ports: ports}.Open(t.Context(), r)
		if err != nil || len(r.ran) != 0 || !strings.Contains(text, "631/tcp") {
			t.Fatalf("text %q, err %v, ran %v", text, err, r.ran)
		}
	})
}
