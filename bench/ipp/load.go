package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/OpenPrinting/goipp"

	"github.com/edgeprint/edgeprint/samplepdf"
)

// result is one load run against one server.
type result struct {
	name     string
	jobs     int
	elapsed  time.Duration
	p50, p99 time.Duration
	failed   int
}

func (r result) rate() float64 { return float64(r.jobs) / r.elapsed.Seconds() }

func (r result) String() string {
	return fmt.Sprintf("%-8s %5d jobs in %6.2fs = %7.0f jobs/s   p50 %6.1fms   p99 %6.1fms   failed %d",
		r.name, r.jobs, r.elapsed.Seconds(), r.rate(), ms(r.p50), ms(r.p99), r.failed)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// makePDF is a valid one-page PDF padded with an incompressible stream to
// about size bytes, like a scanned page.
func makePDF(size int) []byte {
	return samplepdf.Page("edgeprint", max(size-600, 0))
}

// printJobBody is a Print-Job request for uri with pdf as its document.
func printJobBody(uri string, pdf []byte) ([]byte, error) {
	m := goipp.NewRequest(goipp.MakeVersion(2, 0), goipp.OpPrintJob, 1)
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(uri)))
	m.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String("bench")))
	m.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String("bench.pdf")))
	m.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String("application/pdf")))
	head, err := m.EncodeBytes()
	if err != nil {
		return nil, err
	}
	return append(head, pdf...), nil
}

// load sends jobs Print-Jobs to url from clients connections (each keeps
// its connection alive) and times each until its answer.
func load(ctx context.Context, name, url, user, pass string, body []byte, jobs, clients int) (result, error) {
	tr := &http.Transport{
		MaxIdleConnsPerHost: clients,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // the agent's self-signed certificate on loopback
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var (
		next      atomic.Int64
		failed    atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, jobs)
		firstErr  error
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(jobs) && ctx.Err() == nil {
				t0 := time.Now()
				err := send(ctx, client, url, user, pass, body)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					failed.Add(1)
					if firstErr == nil {
						firstErr = err
					}
				} else {
					latencies = append(latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r := result{name: name, jobs: len(latencies), elapsed: time.Since(start), failed: int(failed.Load())}
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		r.p50 = latencies[n/2]
		r.p99 = latencies[min(n-1, n*99/100)]
	}
	if firstErr != nil {
		return r, fmt.Errorf("%s: %d of %d jobs failed, first: %w", name, r.failed, jobs, firstErr)
	}
	return r, ctx.Err()
}

func send(ctx context.Context, client *http.Client, url, user, pass string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/ipp")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	var m goipp.Message
	if err := m.DecodeBytes(b); err != nil {
		return err
	}
	if st := goipp.Status(m.Code); st != goipp.StatusOk {
		return fmt.Errorf("IPP %s", st)
	}
	return nil
}
