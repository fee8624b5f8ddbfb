//go:build !windows

package agent

import "syscall"

// transientErrnos are socket errors after which a printer may answer if
// tried again: refused, reset, aborted, unreachable, timed out.
var transientErrnos = []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
	syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT}
