package installer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// RuleName tags every firewall rule the installer adds, so uninstall finds
// and removes exactly those.
const RuleName = "edgeprint"

// Backend is a host firewall the installer knows how to drive.
type Backend string

const (
	Firewalld Backend = "firewalld"
	UFW       Backend = "ufw"
	NFTables  Backend = "nftables"
	Netsh     Backend = "netsh" // Windows Defender Firewall
	// Manual means no known firewall is active: the installer prints what
	// to open instead of changing anything.
	Manual Backend = "manual"
)

// Firewall is the chosen backend and the ports it manages.
type Firewall struct {
	Backend Backend
	Ports   []Port
	// Programs are the agent binaries (the installed one and the self-update
	// in the data dir); Windows rules are bound to them.
	Programs []string
}

// OpenPlan is what opening the agent's ports runs.
func (f Firewall) OpenPlan() Plan {
	switch f.Backend {
	case Firewalld:
		return firewalldOpen(f.Ports)
	case UFW:
		return ufwOpen(f.Ports)
	case NFTables:
		return nftOpen(f.Ports)
	case Netsh:
		return netshOpen(f.Ports, f.Programs)
	}
	return nil
}

// ClosePlan is what removing the agent's rules runs. For nftables it needs
// the handles of the rules, read from the live ruleset: see NFTHandles.
func (f Firewall) ClosePlan(nftHandles []int) Plan {
	switch f.Backend {
	case Firewalld:
		return firewalldClose()
	case UFW:
		return ufwClose(f.Ports)
	case NFTables:
		return nftClose(nftHandles)
	case Netsh:
		return netshClose(f.Ports)
	}
	return nil
}

// ManualText tells an admin what to open when no firewall is driven.
func (f Firewall) ManualText() string {
	if len(f.Ports) == 0 {
		return "no inbound ports to open: every listener is off or on loopback\n"
	}
	var b strings.Builder
	b.WriteString("no supported firewall is active (firewalld, ufw, nftables); if this machine filters inbound traffic, allow:\n")
	for _, p := range f.Ports {
		fmt.Fprintf(&b, "  %-10s %s\n", p, p.What)
	}
	return b.String()
}

// Open detects nothing: it runs f's open plan, or returns the manual text.
func (f Firewall) Open(ctx context.Context, r Runner) (manual string, err error) {
	if f.Backend == Manual {
		return f.ManualText(), nil
	}
	_, err = f.OpenPlan().Execute(ctx, r)
	return "", err
}

// Close removes f's rules; a rule already gone is not an error.
func (f Firewall) Close(ctx context.Context, r Runner) error {
	var handles []int
	if f.Backend == NFTables {
		out, err := r.Run(ctx, "nft", "-a", "list", "chain", "inet", "filter", "input")
		if err != nil {
			return nil // no chain, no rules of ours
		}
		handles = NFTHandles(out)
	}
	_, err := f.ClosePlan(handles).Execute(ctx, r)
	return err
}

// firewalld: one service definition named edgeprint holds the ports, so
// removing it cannot touch a port someone else opened (CUPS on 631).
func firewalldOpen(ports []Port) Plan {
	p := Plan{
		{Name: "firewall-cmd", Args: []string{"--permanent", "--delete-service=" + RuleName}, MayFail: true},
		{Name: "firewall-cmd", Args: []string{"--permanent", "--new-service=" + RuleName}},
		{Name: "firewall-cmd", Args: []string{"--permanent", "--service=" + RuleName, "--set-description=edgeprint agent listeners"}},
	}
	for _, port := range ports {
		p = append(p, Command{Name: "firewall-cmd", Args: []string{"--permanent", "--service=" + RuleName, "--add-port=" + port.String()}})
	}
	return append(p,
		Command{Name: "firewall-cmd", Args: []string{"--permanent", "--add-service=" + RuleName}},
		Command{Name: "firewall-cmd", Args: []string{"--reload"}},
	)
}

func firewalldClose() Plan {
	return Plan{
		{Name: "firewall-cmd", Args: []string{"--permanent", "--remove-service=" + RuleName}, MayFail: true},
		{Name: "firewall-cmd", Args: []string{"--permanent", "--delete-service=" + RuleName}, MayFail: true},
		{Name: "firewall-cmd", Args: []string{"--reload"}, MayFail: true},
	}
}

// ufw: one rule per port, commented "edgeprint".
func ufwOpen(ports []Port) Plan {
	var p Plan
	for _, port := range ports {
		p = append(p, Command{Name: "ufw", Args: []string{"allow", port.String(), "comment", RuleName + " " + port.What}})
	}
	return p
}

func ufwClose(ports []Port) Plan {
	var p Plan
	for _, port := range ports {
		p = append(p, Command{Name: "ufw", Args: []string{"delete", "allow", port.String()}, MayFail: true})
	}
	return p
}

// nftables: an accept in a table of our own would not help, since a drop in
// any other base chain on the input hook still drops the packet. So the
// rules go into the usual inet filter input chain, each with the comment
// "edgeprint", and are removed by handle.
func nftOpen(ports []Port) Plan {
	var p Plan
	for _, port := range ports {
		p = append(p, Command{Name: "nft", Args: []string{"insert", "rule", "inet", "filter", "input",
			port.Proto, "dport", strconv.Itoa(port.Number), "accept", "comment", `"` + RuleName + `"`}})
	}
	return p
}

func nftClose(handles []int) Plan {
	var p Plan
	for _, h := range handles {
		p = append(p, Command{Name: "nft", Args: []string{"delete", "rule", "inet", "filter", "input", "handle", strconv.Itoa(h)}, MayFail: true})
	}
	return p
}

// NFTHandles picks the handles of our rules out of
// "nft -a list chain inet filter input".
func NFTHandles(listing string) []int {
	var out []int
	for _, line := range strings.Split(listing, "\n") {
		if !strings.Contains(line, `comment "`+RuleName+`"`) {
			continue
		}
		i := strings.LastIndex(line, "# handle ")
		if i < 0 {
			continue
		}
		if h, err := strconv.Atoi(strings.TrimSpace(line[i+len("# handle "):])); err == nil {
			out = append(out, h)
		}
	}
	return out
}

// netsh: one inbound rule per port, named "edgeprint 631/tcp" and bound to
// the agent's program, so it opens nothing for any other process.
func netshRuleName(p Port) string { return RuleName + " " + p.String() }

func netshOpen(ports []Port, programs []string) Plan {
	var p Plan
	for _, port := range ports {
		name := "name=" + netshRuleName(port)
		p = append(p, Command{Name: "netsh", Args: []string{"advfirewall", "firewall", "delete", "rule", name}, MayFail: true})
		// One rule per binary, under one name: delete removes them all.
		for _, program := range programs {
			p = append(p, Command{Name: "netsh", Args: []string{"advfirewall", "firewall", "add", "rule", name,
				"dir=in", "action=allow", "protocol=" + strings.ToUpper(port.Proto),
				"localport=" + strconv.Itoa(port.Number), "program=" + program, "enable=yes",
				"description=edgeprint agent " + port.What}})
		}
	}
	return p
}

func netshClose(ports []Port) Plan {
	var p Plan
	for _, port := range ports {
		p = append(p, Command{Name: "netsh", Args: []string{"advfirewall", "firewall", "delete", "rule", "name=" + netshRuleName(port)}, MayFail: true})
	}
	return p
}
