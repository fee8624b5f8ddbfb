//go:build !windows

package update

import (
	"os"
	"syscall"
)

func askToStop(p *os.Process) { p.Signal(syscall.SIGTERM) }
