// Package demo runs a whole edgeprint site on loopback in one process: a
// relay with a seeded company, an agent registered to it, and a simulated
// printer that writes every job it receives to a file.
//
// Everything is seeded through the same paths a real installation uses (the
// relay's operator init, its JSON API, agent registration with an activation
// code), so the demo exercises the product rather than a shortcut around it.
// Ports are the usual ones moved to unprivileged numbers (IPP 8631, relay
// 8443, card reader 7778); one that is taken falls back to a free port, and
// with Ephemeral every port is chosen by the system.
package demo
