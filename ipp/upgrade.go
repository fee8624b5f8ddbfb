package ipp

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// tlsUpgrader turns a plain connection whose client asked for TLS (RFC
// 2817) into a TLS one and serves it again. Serve puts one in each
// connection's context; without it (ServeHTTP mounted elsewhere) there is
// no upgrade.
type tlsUpgrader interface {
	tlsAvailable() bool
	serverTLS(c net.Conn) *tls.Conn
	serve(c net.Conn)
}

// upgradeTimeout bounds the switch to TLS: 101, handshake, OPTIONS answer.
const upgradeTimeout = 10 * time.Second

type upgraderKey struct{}

func withUpgrader(ctx context.Context, u tlsUpgrader) context.Context {
	return context.WithValue(ctx, upgraderKey{}, u)
}

func upgraderOf(r *http.Request) (tlsUpgrader, bool) {
	u, ok := r.Context().Value(upgraderKey{}).(tlsUpgrader)
	return u, ok && u.tlsAvailable()
}

// tlsAvailable reports whether the client can reach this queue over TLS.
func tlsAvailable(r *http.Request) bool {
	_, ok := upgraderOf(r)
	return r.TLS != nil || ok
}

// serveOptions answers OPTIONS, and upgrades the connection to TLS when the
// client asks (CUPS does after a 426: "OPTIONS * HTTP/1.1", "Connection:
// Upgrade", "Upgrade: TLS/1.2,TLS/1.1,TLS/1.0").
func (s *Server) serveOptions(w http.ResponseWriter, r *http.Request) {
	if up, ok := upgraderOf(r); ok && r.TLS == nil && wantsTLS(r) {
		s.upgrade(w, r, up)
		return
	}
	w.Header().Set("Allow", "GET, HEAD, POST, OPTIONS")
	w.WriteHeader(http.StatusOK)
}

func wantsTLS(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(p)), "TLS/") {
				return true
			}
		}
	}
	return false
}

func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, up tlsUpgrader) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.log.Debug("ipp: tls upgrade: hijack", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "upgrade not possible", http.StatusInternalServerError)
		return
	}
	var c net.Conn = conn
	// The client waits for the 101 before its TLS handshake, so nothing
	// should be buffered; if something is, it goes first.
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		c = &prefixConn{Conn: conn, prefix: append([]byte(nil), b...)}
	}
	// RFC 2817 3.3: switch, handshake, then answer the OPTIONS request
	// over TLS (CUPS waits for that answer), then serve the connection.
	_ = conn.SetDeadline(time.Now().Add(upgradeTimeout))
	tc := up.serverTLS(c)
	_, err = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: TLS/1.2,HTTP/1.1\r\n\r\n")
	if err == nil {
		err = tc.HandshakeContext(r.Context())
	}
	if err == nil {
		_, err = io.WriteString(tc, "HTTP/1.1 200 OK\r\nAllow: GET, HEAD, POST, OPTIONS\r\nContent-Length: 0\r\n\r\n")
	}
	_ = conn.SetDeadline(time.Time{})
	if err != nil {
		s.log.Debug("ipp: tls upgrade", "remote", r.RemoteAddr, "err", err)
		_ = conn.Close()
		return
	}
	s.metrics.request("tls-upgrade", "http-101")
	s.log.Debug("ipp: upgraded to tls", "remote", r.RemoteAddr)
	up.serve(tc)
}
