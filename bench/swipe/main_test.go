package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestSmallRun runs the benchmark small, both sides, so it keeps working.
// Timings are not checked here: the numbers come from `go run`.
func TestSmallRun(t *testing.T) {
	o := options{users: 30, jobsPerUser: 3, docSize: 1024, samples: 10, warmup: 2, cupsSamples: 5,
		dir: t.TempDir(), gap: time.Millisecond}
	if _, err := exec.LookPath("cupsd"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cupsd is required in CI (Debian cups)")
		}
		o.cups = false
	} else {
		o.cups, o.requireCUPS = true, true
	}
	if err := run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
}
