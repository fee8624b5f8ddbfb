// Package printersim is a simulated network printer for the demo and the
// tests: a raw socket (port 9100) listener that writes every job it receives
// to a file, byte for byte, PJL and all.
//
// It plays the printer's side of AppSocket as printers do: it reads until the
// sender half-closes, then closes its own side, which tells the sender the
// whole job arrived. A job file appears (renamed from a .part file) only once
// the job is complete, so a reader never sees half a job.
package printersim
