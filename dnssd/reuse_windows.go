package dnssd

import "syscall"

// reuseAddr lets the responder share 5353 with another mDNS stack
// (Bonjour for Windows) on the same host.
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var err error
	cerr := c.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if cerr != nil {
		return cerr
	}
	return err
}
