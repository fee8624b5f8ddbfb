//go:build !windows

package lpr

import (
	"errors"
	"syscall"
)

// reuseAddr lets a source port be bound again while an earlier connection
// from it is in TIME_WAIT (to another server; the same 4-tuple still fails,
// with EADDRNOTAVAIL, and the next port is tried).
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// isBindError is an error about the local port (busy, not allowed), after
// which another port may work.
func isBindError(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) ||
		errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EPERM)
}
