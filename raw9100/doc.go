// Package raw9100 delivers print jobs over a raw TCP socket (AppSocket,
// JetDirect; port 9100 by default), wrapped in PJL so the printer's own
// accounting shows the job and user name.
//
// A job counts as delivered only when every byte was written, the write side
// was half-closed and the printer acknowledged the end of the stream by
// closing its side (or the drain deadline passed without an error): a printer
// that drops the connection mid-job fails the send, so the job stays held.
package raw9100
