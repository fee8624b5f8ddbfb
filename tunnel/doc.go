// Package tunnel carries HTTP both ways between an agent and its relay over one
// websocket that the agent dials.
//
// The websocket (binary messages, no read limit) is turned into a net.Conn and a
// yamux session runs on it: the agent is the yamux client, the relay the yamux
// server. Each side serves HTTP/1.1 to the other on the streams it accepts
// (Session.Serve) and reaches the other's handler through an http.Client whose
// Transport opens one stream per connection (Session.Client). Bodies stream
// under yamux's per-stream flow control; there is no framing of our own. yamux
// keepalives notice a dead peer within 30 seconds.
//
// The agent calls Keep (or Dial), which redials with capped, jittered
// exponential backoff and logs state changes only. The relay calls Accept in
// the handler of the authenticated upgrade request, then blocks in Serve until
// the session ends: the handler must not return while the session is in use.
//
// Metrics are not global: NewMetrics registers them on the caller's registry.
// Keep has the fixed signature the agent uses and no metrics; Keeper is Keep
// with a Metrics field. The relay calls Metrics.SessionUp/SessionDown itself.
package tunnel
