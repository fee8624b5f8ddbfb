package lpr

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestStreamsOneGigabyte sends a generated 1 GB document (an io.Reader, not
// a file) and checks the heap stays small: the document is streamed, never
// held. The server is a minimal in-process LPD that discards the data.
func TestStreamsOneGigabyte(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GB stream: not with -short")
	}
	const size = 1 << 30
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var received atomic.Int64
	done := make(chan error, 1)
	go func() { done <- discardingLPD(ln, &received) }()

	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() { peak <- sampleHeap(stop) }()

	n, err := Send(t.Context(), ln.Addr().String(), "lp", Job{Number: 1, Host: "h", User: "u"},
		io.LimitReader(patternReader{}, size), size, Options{})
	close(stop)
	heap := <-peak
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n != size || received.Load() != size {
		t.Fatalf("sent %d, server got %d, want %d", n, received.Load(), size)
	}
	t.Logf("peak heap growth while streaming 1 GB: %d KB", heap>>10)
	if heap > 64<<20 {
		t.Fatalf("heap in use grew by %d MB streaming 1 GB", heap>>20)
	}
}

// discardingLPD answers one job: acks every command and file, counts the
// data file's bytes.
func discardingLPD(ln net.Listener, received *atomic.Int64) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	r := bufio.NewReaderSize(c, 256<<10)
	if _, err := r.ReadString('\n'); err != nil {
		return err
	}
	c.Write([]byte{0})
	for range 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		var size int64
		var name string
		if _, err := fmt.Sscanf(line[1:], "%d %s", &size, &name); err != nil {
			return fmt.Errorf("subcommand %q: %w", line, err)
		}
		c.Write([]byte{0})
		n, err := io.CopyN(io.Discard, r, size+1) // the file and its zero byte
		if err != nil {
			return err
		}
		if line[0] == 3 {
			received.Add(n - 1)
		}
		c.Write([]byte{0})
	}
	return nil
}

// patternReader is an endless document.
type patternReader struct{}

var pattern = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}()

func (patternReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], pattern)
	}
	return n, nil
}

// sampleHeap returns by how much HeapInuse grew, at most, over what it was
// after a collection at the start (earlier tests leave garbage behind),
// until stop closes.
func sampleHeap(stop chan struct{}) uint64 {
	var peak uint64
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	base := m.HeapInuse
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		runtime.ReadMemStats(&m)
		if m.HeapInuse > base {
			peak = max(peak, m.HeapInuse-base)
		}
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}
