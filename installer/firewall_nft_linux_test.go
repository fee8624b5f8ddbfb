package installer

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// inNetns marks the re-executed test that runs inside its own network
// namespace, where nft changes nothing of the host's ruleset.
const inNetns = "EDGEPRINT_TEST_IN_NETNS"

// TestNFTablesForReal runs the nftables plans with the real nft, in a
// fresh network namespace with a policy-drop input chain like Debian's.
func TestNFTablesForReal(t *testing.T) {
	if os.Getenv(inNetns) == "" {
		_, nftErr := exec.LookPath("nft")
		_, unshareErr := exec.LookPath("unshare")
		if os.Geteuid() != 0 || nftErr != nil || unshareErr != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("CI needs root, nft (Debian nftables) and unshare for this test")
			}
			t.Skip("needs root, nft and unshare")
		}
		cmd := exec.Command("unshare", "--net", os.Args[0], "-test.run=^TestNFTablesForReal$", "-test.v")
		cmd.Env = append(os.Environ(), inNetns+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestNFTablesForReal") {
			t.Fatalf("in a network namespace: %v\n%s", err, out)
		}
		return
	}

	ctx := t.Context()
	r := ExecRunner{}
	if DetectFirewall(ctx, r) != Manual {
		t.Fatal("an empty ruleset is not Manual")
	}
	for _, args := range [][]string{
		{"add", "table", "inet", "filter"},
		{"add", "chain", "inet", "filter", "input", "{ type filter hook input priority 0; policy drop; }"},
		{"add", "rule", "inet", "filter", "input", "tcp", "dport", "22", "accept", "comment", `"ssh"`},
	} {
		if _, err := r.Run(ctx, "nft", args...); err != nil {
			t.Fatal(err)
		}
	}
	if b := DetectFirewall(ctx, r); b != NFTables {
		t.Fatalf("detected %s, want nftables", b)
	}
	fw := Firewall{Backend: NFTables, Ports: []Port{{631, "tcp", "ipp"}, {2001, "tcp", "rfideas-241"}}}
	if _, err := fw.Open(ctx, r); err != nil {
		t.Fatal(err)
	}
	listing, _ := r.Run(ctx, "nft", "-a", "list", "chain", "inet", "filter", "input")
	for _, want := range []string{`tcp dport 631 accept comment "edgeprint"`, `tcp dport 2001 accept comment "edgeprint"`} {
		if !strings.Contains(listing, want) {
			t.Fatalf("ruleset lacks %q:\n%s", want, listing)
		}
	}
	if err := fw.Close(ctx, r); err != nil {
		t.Fatal(err)
	}
	listing, _ = r.Run(ctx, "nft", "-a", "list", "chain", "inet", "filter", "input")
	if strings.Contains(listing, "edgeprint") || !strings.Contains(listing, `comment "ssh"`) {
		t.Fatalf("close must remove exactly our rules:\n%s", listing)
	}
}
