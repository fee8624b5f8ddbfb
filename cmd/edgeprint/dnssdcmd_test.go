package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDNSSDZone(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(cfg, []byte(`{"data_dir":"`+dir+`","site":"Head Office","ipp":{"listen":":8631"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"dnssd-zone", "--config", cfg, "--domain", "print.example.com",
		"--addr", "10.0.0.5,fd00::5", "--host", "agent1"}, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{
		"b._dns-sd._udp.print.example.com.\t4500\tIN\tPTR\tprint.example.com.",
		"lb._dns-sd._udp.print.example.com.",
		"_universal._sub._ipp._tcp.print.example.com.\t4500\tIN\tPTR\tHead\\ Office\\ Secure\\ Print._ipp._tcp.print.example.com.",
		"_print._sub._ipps._tcp.print.example.com.",
		"SRV\t0 0 8631 agent1.print.example.com.",
		"_printer._tcp.print.example.com.",
		"SRV\t0 0 0 agent1.print.example.com.",
		"\"URF=V1.4,", "\"air=username,password\"", "\"UUID=",
		"agent1.print.example.com.\t120\tIN\tA\t10.0.0.5",
		"agent1.print.example.com.\t120\tIN\tAAAA\tfd00::5",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("zone lacks %q:\n%s", want, out.String())
		}
	}
}
