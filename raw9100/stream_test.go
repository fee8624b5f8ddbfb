package raw9100

import (
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestStreamsOneGigabyte sends a generated 1 GB document (an io.Reader, not
// a file) to a printer that discards it, and checks the heap stays small.
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
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		received.Store(n)
	}()
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() { peak <- sampleHeap(stop) }()

	job := Job{Name: "big", User: "u", Format: "application/pdf"}
	n, err := Send(t.Context(), ln.Addr().String(), job, io.LimitReader(patternReader{}, size), Options{})
	close(stop)
	heap := <-peak
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(size + len(job.Header()) + len(job.Trailer())); n != size || received.Load() != want {
		t.Fatalf("sent %d document bytes, printer got %d, want %d", n, received.Load(), want)
	}
	t.Logf("peak heap growth while streaming 1 GB: %d KB", heap>>10)
	if heap > 64<<20 {
		t.Fatalf("heap in use grew by %d MB streaming 1 GB", heap>>20)
	}
}

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
