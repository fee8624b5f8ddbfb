// Package lpr is an RFC 1179 LPR client (port 515 by default) that sends
// released jobs to printers and to third-party print queues (a Windows print
// server's LPD service, CUPS's cups-lpd, LPRng, a NAS).
//
// A job counts as delivered only when the server acknowledged the last file
// of the job with a zero byte: a server that closes the connection or answers
// anything else fails the send, so the job stays held. The data file's size
// goes before its bytes, so Send streams a document of known size straight
// from the spool and never holds it in memory. See README.md for the
// exchange step by step.
package lpr
