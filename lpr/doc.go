// Package lpr will be the RFC 1179 LPR client (port 515) that sends released
// jobs to printers and to third-party print queues.
//
// Not built yet: the walking skeleton releases over raw 9100 only, and a
// printer set to "lpr" fails its release with a clear error and keeps its
// jobs held. Issue "Print delivery" builds this package.
package lpr
