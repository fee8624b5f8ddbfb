package relay

import (
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBothBackends runs the whole relay suite again on PostgreSQL: this
// test binary, re-executed with EDGEPRINT_TEST_STORE=postgres. It fails
// when that run fails.
func TestBothBackends(t *testing.T) {
	if usingPostgres() {
		t.Skip("this is the PostgreSQL run")
	}
	args := []string{"-test.count=1"}
	for _, name := range []string{"test.v", "test.short", "test.failfast"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != f.DefValue {
			args = append(args, "-"+name+"="+f.Value.String())
		}
	}
	// The run must end, and its output be shown, before this binary's own
	// -test.timeout: a hung child then panics with every goroutine's stack
	// while this test can still print it.
	if dl, ok := t.Deadline(); ok {
		left := time.Until(dl) - time.Minute
		if left < time.Minute {
			left = time.Minute
		}
		args = append(args, "-test.timeout="+left.Truncate(time.Second).String())
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), storeEnv+"=postgres")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	if strings.Contains(out.String(), skippedMarker) {
		t.Skip(skippedMarker)
	}
	if testing.Verbose() || err != nil {
		t.Log("the suite on PostgreSQL:\n" + out.String())
	}
	if err != nil {
		t.Fatalf("the relay suite failed on PostgreSQL: %v", err)
	}
}
