package printersim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// idleTimeout drops a sender that goes quiet mid-job, as printers do.
const idleTimeout = 2 * time.Minute

// Printer is a running simulated printer.
type Printer struct {
	dir    string
	ln     net.Listener
	logger *slog.Logger

	mu   sync.Mutex
	n    int
	done chan string // completed job files, for Wait
	wg   sync.WaitGroup
}

// Listen starts a printer on addr that writes jobs into dir.
func Listen(addr, dir string, logger *slog.Logger) (*Printer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("printersim: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("printersim: %w", err)
	}
	return &Printer{dir: dir, ln: ln, logger: logger, done: make(chan string, 1024)}, nil
}

// Addr is the listening address.
func (p *Printer) Addr() string { return p.ln.Addr().String() }

// Dir is where job files go.
func (p *Printer) Dir() string { return p.dir }

// Serve accepts jobs until ctx is done.
func (p *Printer) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { p.ln.Close() })
	defer stop()
	defer p.wg.Wait()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("printersim: %w", err)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.receive(conn)
		}()
	}
}

// Wait returns the path of the next completed job.
func (p *Printer) Wait(ctx context.Context) (string, error) {
	select {
	case path := <-p.done:
		return path, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (p *Printer) receive(conn net.Conn) {
	defer conn.Close()
	p.mu.Lock()
	p.n++
	name := filepath.Join(p.dir, fmt.Sprintf("job-%04d.prn", p.n))
	p.mu.Unlock()

	f, err := os.Create(name + ".part")
	if err != nil {
		p.logger.Error("printersim: create job file", "err", err)
		return
	}
	n, err := io.Copy(f, idleReader{conn})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		p.logger.Warn("printersim: job incomplete", "from", conn.RemoteAddr(), "bytes", n, "err", err)
		os.Remove(name + ".part")
		return
	}
	if err := os.Rename(name+".part", name); err != nil {
		p.logger.Error("printersim: finish job file", "err", err)
		return
	}
	p.logger.Info("printer received job", "file", name, "bytes", n)
	select {
	case p.done <- name:
	default:
	}
}

type idleReader struct{ conn net.Conn }

func (r idleReader) Read(b []byte) (int, error) {
	r.conn.SetReadDeadline(time.Now().Add(idleTimeout))
	return r.conn.Read(b)
}
