//go:build windows

package agent

import "syscall"

// transientErrnos are socket errors after which a printer may answer if
// tried again. Winsock reports its own numbers, which syscall.ECONNREFUSED
// and friends do not match on Windows.
var transientErrnos = []error{
	syscall.Errno(1225),  // ERROR_CONNECTION_REFUSED (ConnectEx)
	syscall.Errno(10061), // WSAECONNREFUSED
	syscall.Errno(10054), // WSAECONNRESET
	syscall.Errno(10053), // WSAECONNABORTED
	syscall.Errno(10060), // WSAETIMEDOUT
	syscall.Errno(10065), // WSAEHOSTUNREACH
	syscall.Errno(10051), // WSAENETUNREACH
}
