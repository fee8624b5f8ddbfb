// Package eipauth serves printers' Convenience Authentication (SOAP over
// HTTPS, 15042) and the panel apps' single sign-on (JSON over HTTPS, 15043),
// holds each printer's panel session and unlock code, and makes the
// printer-side calls (InitiateLogin, ForceLogout, app registration).
//
// It knows nothing of the agent: the agent implements Printers,
// Authenticator, CardResolver, JobService and Releaser. README.md defines
// the message schema.
package eipauth
