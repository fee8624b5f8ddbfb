//go:build windows

package lpr

import (
	"errors"
	"syscall"
)

// reuseAddr is nil on Windows: SO_REUSEADDR there lets another socket steal
// a bound port, which is not what is wanted.
var reuseAddr func(network, address string, c syscall.RawConn) error

// Winsock error numbers for a busy, forbidden or unavailable local address.
const (
	wsaEACCES        = syscall.Errno(10013)
	wsaEADDRINUSE    = syscall.Errno(10048)
	wsaEADDRNOTAVAIL = syscall.Errno(10049)
)

// isBindError is an error about the local port, after which another port
// may work.
func isBindError(err error) bool {
	return errors.Is(err, wsaEADDRINUSE) || errors.Is(err, wsaEACCES) || errors.Is(err, wsaEADDRNOTAVAIL)
}
