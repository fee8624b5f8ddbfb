package lpdtest

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// stragglerWait is how long lpd's detached processes get to exit after
// SIGTERM before they are killed.
const stragglerWait = 2 * time.Second

// killStragglers ends any process still running this test's copy of lpd
// (its path is unique to the test), so no lpd outlives its test.
func killStragglers(t testing.TB, bin string) {
	t.Helper()
	deadline := time.Now().Add(stragglerWait)
	for {
		pids := running(bin)
		if len(pids) == 0 {
			return
		}
		sig := syscall.SIGTERM
		if time.Now().After(deadline) {
			sig = syscall.SIGKILL
		}
		for _, pid := range pids {
			syscall.Kill(pid, sig)
		}
		if sig == syscall.SIGKILL {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func running(bin string) []int {
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	var pids []int
	for _, p := range procs {
		exe, err := os.Readlink(p)
		if err != nil {
			continue
		}
		if exe == bin || exe == bin+" (deleted)" {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
