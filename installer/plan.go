package installer

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Command is one program run with its arguments, never through a shell.
type Command struct {
	Name string
	Args []string
	// MayFail marks a command whose failure is expected on some machines
	// (removing a rule that is already gone); it is logged, not returned.
	MayFail bool
}

func (c Command) String() string {
	parts := []string{c.Name}
	for _, a := range c.Args {
		if strings.ContainsAny(a, " \"") {
			a = fmt.Sprintf("%q", a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// Plan is what an install step will do, in order.
type Plan []Command

// Runner runs one command and returns its combined output.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (string, error)
}

// ExecRunner runs commands on this machine.
type ExecRunner struct{}

// Run runs name with args.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("installer: %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Execute runs p in order and stops at the first failure of a command that
// may not fail. It returns the failures it let pass, for the caller to log.
func (p Plan) Execute(ctx context.Context, r Runner) (tolerated []error, err error) {
	for _, c := range p {
		if _, err := r.Run(ctx, c.Name, c.Args...); err != nil {
			if c.MayFail {
				tolerated = append(tolerated, err)
				continue
			}
			return tolerated, err
		}
	}
	return tolerated, nil
}
