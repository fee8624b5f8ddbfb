// Command delivery measures how fast a released job reaches a printer: a
// job spooled encrypted as the agent spools it is read back, decrypted and
// sent over raw 9100 (and LPR) to a loopback printer that discards and
// counts; in the same run socat sends the same file over plain TCP to the
// same kind of listener. It prints both throughputs and their ratio.
//
//	go run ./bench/delivery [-mb 100] [-runs 3]
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/edgeprint/edgeprint/docstore"
	"github.com/edgeprint/edgeprint/lpr"
	"github.com/edgeprint/edgeprint/raw9100"
)

func main() {
	mb := flag.Int("mb", 100, "job size in MB (10^6 bytes)")
	runs := flag.Int("runs", 3, "runs of each measurement; the best is reported")
	socat := flag.String("socat", "socat", "socat binary")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), int64(*mb)*1e6, *runs, *socat); err != nil {
		logger.Error("benchmark failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, size int64, runs int, socat string) error {
	if _, err := exec.LookPath(socat); err != nil {
		return fmt.Errorf("socat is needed for the raw TCP baseline: %w", err)
	}
	dir, err := os.MkdirTemp("", "edgeprint-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	plain := filepath.Join(dir, "job.pdf")
	if err := writeRandom(plain, size); err != nil {
		return err
	}
	docs, err := docstore.Open(filepath.Join(dir, "spool"))
	if err != nil {
		return err
	}
	f, err := os.Open(plain)
	if err != nil {
		return err
	}
	key, n, err := docs.Write("bench", f)
	f.Close()
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("spooled %d bytes, want %d", n, size)
	}

	job := raw9100.Job{Name: "bench.pdf", User: "bench@example.com", Format: "application/pdf"}
	wire := size + int64(len(job.Header())+len(job.Trailer()))
	measures := []struct {
		name string
		fn   func() (time.Duration, error)
	}{
		{"raw TCP, socat -u FILE TCP:… (baseline)", func() (time.Duration, error) {
			return timeToPrinter(size, func(addr string) error {
				out, err := exec.CommandContext(ctx, socat, "-u", plain, "TCP:"+addr).CombinedOutput()
				if err != nil {
					return fmt.Errorf("socat: %v: %s", err, out)
				}
				return nil
			})
		}},
		{"raw TCP, socat -b 262144 (same buffer as the agent)", func() (time.Duration, error) {
			return timeToPrinter(size, func(addr string) error {
				out, err := exec.CommandContext(ctx, socat, "-u", "-b", "262144", plain, "TCP:"+addr).CombinedOutput()
				if err != nil {
					return fmt.Errorf("socat: %v: %s", err, out)
				}
				return nil
			})
		}},
		{"release over raw 9100: spool decrypt + PJL + send", func() (time.Duration, error) {
			return timeToPrinter(wire, func(addr string) error {
				doc, err := docs.Open("bench", key)
				if err != nil {
					return err
				}
				defer doc.Close()
				_, err = raw9100.Send(ctx, addr, job, doc, raw9100.Options{})
				return err
			})
		}},
		{"release over LPR: spool decrypt + send", func() (time.Duration, error) {
			return timeToLPD(size, func(addr string) error {
				doc, err := docs.Open("bench", key)
				if err != nil {
					return err
				}
				defer doc.Close()
				_, err = lpr.Send(ctx, addr, "lp", lpr.Job{Number: 1, Host: "bench", User: "bench"}, doc, size, lpr.Options{})
				return err
			})
		}},
		{"spool decrypt only (no network)", func() (time.Duration, error) {
			start := time.Now()
			doc, err := docs.Open("bench", key)
			if err != nil {
				return 0, err
			}
			defer doc.Close()
			m, err := io.CopyBuffer(io.Discard, doc, make([]byte, 256<<10))
			if err == nil && m != size {
				err = fmt.Errorf("decrypted %d bytes, want %d", m, size)
			}
			return time.Since(start), err
		}},
	}
	fmt.Printf("job: %d MB, best of %d runs, MB = 10^6 bytes\n", size/1e6, runs)
	best := make([]float64, len(measures))
	for i, m := range measures {
		var rates []float64
		var heap uint64
		for range runs {
			stop := heapWatch()
			took, err := m.fn()
			heap = max(heap, stop())
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			rates = append(rates, float64(size)/1e6/took.Seconds())
		}
		best[i] = slices.Max(rates)
		fmt.Printf("%-52s %6.0f MB/s  heap +%4d KB  (runs: %s)\n", m.name, best[i], heap>>10, format(rates))
	}
	fmt.Printf("ratio raw 9100 release / socat:            %.0f%%\n", 100*best[2]/best[0])
	fmt.Printf("ratio LPR release / socat:                 %.0f%%\n", 100*best[3]/best[0])
	fmt.Printf("ratio raw 9100 release / socat -b 262144:  %.0f%%\n", 100*best[2]/best[1])
	return nil
}

func format(rates []float64) string {
	s := ""
	for i, r := range rates {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.0f", r)
	}
	return s
}

func writeRandom(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var errShort = errors.New("listener got fewer bytes than sent")

// heapWatch samples the heap in use from now until the returned function is
// called, which returns the largest growth seen: a streamed job keeps it
// flat whatever its size.
func heapWatch() func() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	base := m.HeapInuse
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		var m runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base {
				peak = max(peak, m.HeapInuse-base)
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); return <-done }
}
