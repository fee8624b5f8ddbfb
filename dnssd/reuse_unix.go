//go:build !windows

package dnssd

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reuseAddr lets the responder share 5353 with another mDNS stack
// (avahi, mDNSResponder) on the same host.
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var err error
	cerr := c.Control(func(fd uintptr) {
		if err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return
		}
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if cerr != nil {
		return cerr
	}
	return err
}
