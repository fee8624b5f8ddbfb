package installer

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"

	"github.com/kardianos/service"
)

// exitProcess is os.Exit, replaced in tests.
var exitProcess = os.Exit

// serviceHandler is a slog handler that writes each record, formatted as
// text, to the service manager's log (the Windows Event Log).
type serviceHandler struct {
	out  service.Logger
	mu   *sync.Mutex
	buf  *bytes.Buffer
	text slog.Handler
}

func newServiceHandler(out service.Logger, level slog.Level) *serviceHandler {
	buf := &bytes.Buffer{}
	return &serviceHandler{out: out, mu: &sync.Mutex{}, buf: buf,
		text: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level})}
}

func (h *serviceHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.text.Enabled(ctx, l)
}

func (h *serviceHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if err := h.text.Handle(ctx, r); err != nil {
		return err
	}
	line := string(bytes.TrimRight(h.buf.Bytes(), "\n"))
	switch {
	case r.Level >= slog.LevelError:
		return h.out.Error(line)
	case r.Level >= slog.LevelWarn:
		return h.out.Warning(line)
	}
	return h.out.Info(line)
}

func (h *serviceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &serviceHandler{out: h.out, mu: h.mu, buf: h.buf, text: h.text.WithAttrs(as)}
}

func (h *serviceHandler) WithGroup(name string) slog.Handler {
	return &serviceHandler{out: h.out, mu: h.mu, buf: h.buf, text: h.text.WithGroup(name)}
}

// lineLogger logs each line written to it.
type lineLogger struct{ log *slog.Logger }

func (l lineLogger) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		l.log.Info(string(line), "source", "agent")
	}
	return len(p), nil
}
