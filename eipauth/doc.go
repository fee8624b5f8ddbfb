// Package eipauth will serve printers' Convenience Authentication (15042)
// and the panel apps' single sign-on (15043), and make the printer-side calls.
//
// Not built yet: issue "Printer panel login" builds this package.
package eipauth
