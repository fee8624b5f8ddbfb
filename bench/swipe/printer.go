package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// printer is a loopback raw-socket printer that notes when the first byte
// of each job arrives and when the job ends.
type printer struct {
	ln    net.Listener
	first chan time.Time
	done  chan int64
	wg    sync.WaitGroup
}

func listenPrinter() (*printer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &printer{ln: ln, first: make(chan time.Time, 4096), done: make(chan int64, 4096)}, nil
}

func (p *printer) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *printer) serve(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { p.ln.Close() })
	defer stop()
	defer p.wg.Wait()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			buf := make([]byte, 64<<10)
			c.SetReadDeadline(time.Now().Add(time.Minute))
			n, err := c.Read(buf)
			if n > 0 {
				p.first <- time.Now()
			}
			total := int64(n)
			if err == nil {
				m, _ := io.CopyBuffer(io.Discard, c, buf)
				total += m
			}
			p.done <- total
		}()
	}
}

// next waits for the next job's first byte.
func (p *printer) next(ctx context.Context, timeout time.Duration) (time.Time, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case at := <-p.first:
		return at, nil
	case <-t.C:
		return time.Time{}, errors.New("no job reached the printer")
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// finished waits for n jobs to end.
func (p *printer) finished(ctx context.Context, n int, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for range n {
		select {
		case <-p.done:
		case <-t.C:
			return errors.New("jobs did not finish")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
