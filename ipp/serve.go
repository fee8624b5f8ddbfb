package ipp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTP-level limits of Serve. There is no overall read or write timeout:
// a document upload may rightly take minutes, so the handler keeps its
// own deadlines per phase (ippHeaderTimeout, documentIdleTimeout,
// responseWriteTimeout).
const (
	// readHeaderTimeout bounds the HTTP request line and headers (and the
	// TLS handshake, which net/http bounds by the same value).
	readHeaderTimeout = 10 * time.Second
	// idleTimeout closes kept-alive connections with no next request.
	idleTimeout = 2 * time.Minute
	// maxHTTPHeaderBytes caps the HTTP headers of a request.
	maxHTTPHeaderBytes = 64 << 10
	// drainTimeout is how long shutdown waits for requests in flight.
	drainTimeout = 15 * time.Second
)

// Serve serves h (normally a *Server) on ln until ctx is done, IPP and
// IPPS on the one listener: each connection whose first byte is a TLS
// handshake is served over TLS with tlsConfig, any other as plain HTTP
// (nil tlsConfig: plain only). Plain connections may also upgrade to TLS
// in place (RFC 2817), as CUPS clients do after a 426. When ctx is done,
// Serve stops accepting, lets requests in flight finish for up to
// drainTimeout, then closes what is left. It returns nil after a shutdown
// and an error if the listener failed.
func Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sl := newSniffListener(ln, tlsConfig, logger)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHTTPHeaderBytes,
		// OPTIONS * reaches the handler, which upgrades to TLS.
		DisableGeneralOptionsHandler: true,
		// HTTP/1.1 only: IPP clients speak nothing else.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return withUpgrader(ctx, sl)
		},
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sl) }()

	select {
	case err := <-served:
		_ = sl.Close()
		return fmt.Errorf("ipp: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	// A fresh context: ctx is already done.
	drainCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	err := srv.Shutdown(drainCtx)
	if err != nil {
		logger.Warn("ipp: requests still running at shutdown; closing them", "err", err)
		_ = srv.Close()
	}
	_ = sl.Close()
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("ipp: serve %s: %w", ln.Addr(), serr)
	}
	return nil
}
