package eipauth

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Deadlines of the HTTPS listeners.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	// writeTimeout leaves room for a password check through the relay.
	writeTimeout    = validateTimeout + 10*time.Second
	idleConnTimeout = 2 * time.Minute
	shutdownTimeout = 10 * time.Second
)

// Serve serves h over TLS on ln until ctx ends, then drains for up to
// shutdownTimeout on a fresh context.
func Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleConnTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(tls.NewListener(ln, tlsConfig))
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return err
}
