package cardreader

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/edgeprint/edgeprint/tunnel"
)

const (
	// dialTimeout bounds one connection attempt to a reader in server mode.
	dialTimeout = 5 * time.Second
	// stableConn: a connection that lived this long resets the backoff.
	stableConn = 30 * time.Second
)

// readerBackoff spaces re-dials of a lost reader: from 1 s up to 30 s, so a
// reader switched off for the night costs little and one rebooted is back
// within seconds.
var readerBackoff = tunnel.Backoff{Min: time.Second, Max: 30 * time.Second}

// Dialer keeps a connection to one reader in server mode (the reader
// listens, the agent connects) and re-dials it, with capped and jittered
// backoff, whenever it is lost.
type Dialer struct {
	Model   string
	Addr    string // host:port of the reader
	Handler Handler
	Logger  *slog.Logger
	Backoff tunnel.Backoff // zero: readerBackoff
}

// Run dials and serves the reader until ctx is done. It logs state changes
// only: connected, lost, and the first failure of a series.
func (d *Dialer) Run(ctx context.Context) {
	b := d.Backoff
	if b == (tunnel.Backoff{}) {
		b = readerBackoff
	}
	log := d.Logger.With("reader", d.Addr, "model", d.Model)
	attempt := 0
	for ctx.Err() == nil {
		dl := net.Dialer{Timeout: dialTimeout}
		conn, err := dl.DialContext(ctx, "tcp", d.Addr)
		if err != nil {
			if attempt == 0 {
				log.Warn("card reader unreachable, will keep trying", "err", err)
			}
		} else {
			log.Info("card reader connected")
			start := time.Now()
			serveConn(ctx, conn, d.Model, d.Handler, d.Logger)
			if ctx.Err() != nil {
				return
			}
			log.Warn("card reader connection lost")
			if time.Since(start) >= stableConn {
				attempt = 0
			}
		}
		t := time.NewTimer(b.Delay(attempt))
		attempt++
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
