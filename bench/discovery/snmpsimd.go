package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/edgeprint/edgeprint/snmp"
)

// snmpsimdReady bounds how long snmpsimd may take to start and bind.
const snmpsimdReady = 60 * time.Second

// startSnmpsimd runs one snmpsimd bound to 127.0.1.1-n:161 serving one
// capture as community "public" (snmpsimd picks the file by community, so
// every address serves the same walk). The capture is linked into a
// temporary data directory, not copied into the repository.
func startSnmpsimd(ctx context.Context, w expected, dir string, n int) (stop func(), err error) {
	bin, err := exec.LookPath("snmpsimd")
	if err != nil {
		return nil, fmt.Errorf("snmpsimd (Debian snmpsim) not installed: %w", err)
	}
	tmp, err := os.MkdirTemp("", "edgeprint-bench-snmpsimd-")
	if err != nil {
		return nil, err
	}
	data, cache := filepath.Join(tmp, "data"), filepath.Join(tmp, "cache")
	for _, d := range []string{data, cache} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return nil, err
		}
		os.Chmod(d, 0o777)
	}
	os.Chmod(tmp, 0o777)
	src, err := filepath.Abs(filepath.Join(dir, w.file))
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	// A temporary copy, deleted on stop: snmpsimd may not follow symlinks
	// when it drops privileges.
	if err := os.WriteFile(filepath.Join(data, "public.snmprec"), b, 0o644); err != nil {
		return nil, err
	}
	args := []string{"--data-dir=" + data, "--cache-dir=" + cache, "--logging-method=null"}
	for i := 1; i <= n; i++ {
		args = append(args, fmt.Sprintf("--agent-udpv4-endpoint=127.0.1.%d:161", i))
	}
	if os.Geteuid() == 0 {
		args = append(args, "--process-user=nobody", "--process-group=nogroup")
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(tmp)
	}
	// Ready when the last address answers.
	rctx, cancel := context.WithTimeout(ctx, snmpsimdReady)
	defer cancel()
	last := snmp.Target{Host: fmt.Sprintf("127.0.1.%d", n), Credentials: []snmp.Credential{{Community: "public"}}}
	for {
		if _, err := snmp.ReadTarget(rctx, last, 500*time.Millisecond, 0, nil); err == nil {
			return stop, nil
		}
		if rctx.Err() != nil {
			stop()
			return nil, fmt.Errorf("snmpsimd did not answer on %s within %s", last.Host, snmpsimdReady)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
