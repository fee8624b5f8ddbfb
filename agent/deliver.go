package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgeprint/edgeprint/convert"
	"github.com/edgeprint/edgeprint/docconv"
	"github.com/edgeprint/edgeprint/docstore"
	"github.com/edgeprint/edgeprint/lpr"
	"github.com/edgeprint/edgeprint/raw9100"
)

// Retry pacing for transient faults within one release: 2 s, 4 s, 8 s…
// capped, so a printer that is restarting gets a fair chance and a swipe
// does not wait minutes.
const (
	retryBase = 2 * time.Second
	retryMax  = 30 * time.Second
	// maxReasonLen bounds a failure reason kept in the store and sent to
	// the relay.
	maxReasonLen = 400
)

// ErrUnsupportedProtocol is a printer whose delivery protocol the agent
// does not speak.
var ErrUnsupportedProtocol = errors.New("agent: delivery protocol not supported")

// printerChecker says whether a printer can take a job now: printerHealth
// (printer_health.go) in the agent, fakes in tests.
type printerChecker interface {
	Ready(ctx context.Context, p Printer) error
}

type alwaysReady struct{}

func (alwaysReady) Ready(context.Context, Printer) error { return nil }

// deliverer sends released jobs to printers and keeps their lifecycle:
// held → releasing → sending → printed, or failed with a reason and still
// held.
type deliverer struct {
	store    *Store
	docs     *docstore.Store
	log      *slog.Logger
	cfg      DeliveryConfig
	checker  printerChecker
	fetch    func(ctx context.Context, id string) (io.ReadCloser, error) // a document held at the relay
	reported func()                                                      // wakes the outbox
	releases *prometheus.CounterVec
	metrics  *deliveryMetrics
	host     string
	seq      atomic.Uint32 // LPR job numbers

	// Zero means the defaults; tests shorten them.
	backoffBase, backoffMax time.Duration
	writeTimeout            time.Duration
}

func newDeliverer(a *Agent) *deliverer {
	host, _ := os.Hostname()
	d := &deliverer{
		store: a.store, docs: a.docs, log: a.log.With("component", "delivery"), cfg: a.cfg.Delivery,
		checker: alwaysReady{}, fetch: a.relay.document, reported: func() { a.kick(a.reportKick) },
		releases: a.metrics.releases, metrics: newDeliveryMetrics(a.registry), host: host,
	}
	// Start LPR job numbers anywhere: after a restart, numbers from 1 again
	// could name files a print server still holds from the last run.
	d.seq.Store(rand.Uint32N(1000))
	if n, err := a.store.resetInterrupted(); err != nil {
		d.log.Error("reset jobs interrupted mid-release", "err", err)
	} else if n > 0 {
		d.log.Warn("jobs interrupted mid-release are held again", "jobs", n)
	}
	return d
}

// deliver sends one job to a printer. It returns nil only once the printer
// (or print server) took every byte; the job is then recorded printed, its
// local copy removed and the relay told. Otherwise the job stays held with
// the reason, and the relay is told it failed.
func (d *deliverer) deliver(ctx context.Context, j heldJob, p Printer) error {
	log := d.log.With("job", j.ID, "printer", p.Name)
	if d.cfg.blockOnError() {
		if err := d.checker.Ready(ctx, p); err != nil {
			return d.fail(j, p, 0, fmt.Errorf("printer %q is not ready: %w", p.Name, err))
		}
	}
	src, err := d.prepare(ctx, j, p)
	if err != nil {
		return d.fail(j, p, 0, err)
	}
	defer src.cleanup()

	start := time.Now()
	var lastErr error
	made := 0
	for attempt := 1; attempt <= d.cfg.attempts(); attempt++ {
		if attempt > 1 {
			if err := sleepCtx(ctx, d.backoff(attempt-1)); err != nil {
				break
			}
		}
		made++
		recorded := d.markSending(j)
		n, err := d.sendOnce(ctx, j, p, src)
		recorded()
		if err == nil {
			d.metrics.attempts.WithLabelValues(protocolLabel(p), JobPrinted).Inc()
			d.metrics.bytes.WithLabelValues(protocolLabel(p)).Add(float64(n))
			return d.printed(j, p, n, time.Since(start))
		}
		lastErr = err
		retry := transient(err) && attempt < d.cfg.attempts() && ctx.Err() == nil
		outcome := JobFailed
		if retry {
			outcome = "retry"
		}
		d.metrics.attempts.WithLabelValues(protocolLabel(p), outcome).Inc()
		log.Info("delivery attempt failed", "attempt", attempt, "retry", retry, "err", err)
		if !retry {
			break
		}
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	return d.fail(j, p, made, lastErr)
}

func (d *deliverer) backoff(n int) time.Duration {
	base, ceiling := d.backoffBase, d.backoffMax
	if base <= 0 {
		base = retryBase
	}
	if ceiling <= 0 {
		ceiling = retryMax
	}
	wait := base << min(n-1, 16)
	return min(wait, ceiling)
}

// docSource opens the document to send, as many times as there are
// attempts, and knows its size (LPR needs it before the bytes).
type docSource struct {
	format  string
	size    int64
	open    func(ctx context.Context) (io.ReadCloser, error)
	cleanup func()
}

// prepare finds the document and, for a printer that does not take its
// format, converts it once for every attempt.
func (d *deliverer) prepare(ctx context.Context, j heldJob, p Printer) (_ *docSource, err error) {
	src := &docSource{format: j.Format, size: j.Size, cleanup: func() {}}
	defer func() {
		if err != nil {
			src.cleanup()
		}
	}()
	if j.local != nil {
		local := *j.local
		src.size = local.Size
		src.open = func(context.Context) (io.ReadCloser, error) { return d.docs.Open(local.ID, local.Key) }
	} else {
		src.open = func(ctx context.Context) (io.ReadCloser, error) { return d.fetch(ctx, j.ID) }
	}
	if docconv.Converts(src.format) {
		// Images and rasters from phones become PDF here, at release
		// (package docconv): the spool keeps what the client sent.
		pdf, perr := d.toPDF(ctx, j, src)
		if perr != nil {
			return nil, perr
		}
		src = pdf
	}
	target, needed, err := convert.Plan(src.format, d.cfg.settings(p).Formats)
	if err != nil {
		return nil, fmt.Errorf("printer %q: %w", p.Name, err)
	}
	if !needed {
		return src, nil
	}
	conv := convert.Converter{GS: d.cfg.Ghostscript, Dir: d.docs.Dir()}
	if err := conv.Available(); err != nil {
		return nil, fmt.Errorf("printer %q does not take PDF and Ghostscript (gs) is not installed: install ghostscript or enable PDF on the printer: %w", p.Name, err)
	}
	doc, err := src.open(ctx)
	if err != nil {
		return nil, err
	}
	defer doc.Close()
	f, err := conv.Convert(ctx, doc, target)
	if err != nil {
		return nil, fmt.Errorf("printer %q does not take PDF: %w", p.Name, err)
	}
	d.log.Info("document converted", "job", j.ID, "printer", p.Name, "to", target, "bytes", f.Size)
	return &docSource{
		format:  target,
		size:    f.Size,
		open:    func(context.Context) (io.ReadCloser, error) { return f.Open() },
		cleanup: func() { f.Remove(); src.cleanup() },
	}, nil
}

// toPDF converts a JPEG, URF or PWG raster document to PDF in a file of the
// spool directory, so its size is known (LPR needs it) and every attempt
// reads the same bytes.
func (d *deliverer) toPDF(ctx context.Context, j heldJob, src *docSource) (*docSource, error) {
	doc, err := src.open(ctx)
	if err != nil {
		return nil, err
	}
	defer doc.Close()
	f, err := os.CreateTemp(d.docs.Dir(), "topdf-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("agent: convert to PDF: %w", err)
	}
	path := f.Name()
	err = docconv.ToPDF(f, doc, src.format)
	var size int64
	if info, serr := f.Stat(); serr == nil {
		size = info.Size()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("agent: convert %s to PDF: %w", src.format, err)
	}
	d.log.Info("document converted", "job", j.ID, "from", src.format, "to", docconv.FormatPDF, "bytes", size)
	return &docSource{
		format:  docconv.FormatPDF,
		size:    size,
		open:    func(context.Context) (io.ReadCloser, error) { return os.Open(path) },
		cleanup: func() { os.Remove(path) },
	}, nil
}

// sendOnce makes one delivery attempt.
func (d *deliverer) sendOnce(ctx context.Context, j heldJob, p Printer, src *docSource) (int64, error) {
	doc, err := src.open(ctx)
	if err != nil {
		return 0, err
	}
	defer doc.Close()
	settings := d.cfg.settings(p)
	switch p.Protocol {
	case "raw9100", "":
		port := p.Port
		if port == 0 {
			port = raw9100.DefaultPort
		}
		job := raw9100.Job{Name: j.Name, User: j.User.Email, Format: src.format, Quirks: raw9100.QuirksFor(settings.Model)}
		res, err := raw9100.SendJob(ctx, net.JoinHostPort(p.Address, strconv.Itoa(port)), job, doc,
			raw9100.Options{ReadBack: d.cfg.PJLStatusReadBack, WriteTimeout: d.writeTimeout})
		return res.Bytes, err
	case "lpr":
		port := p.Port
		if port == 0 {
			port = lpr.DefaultPort
		}
		sp, _ := lpr.ParseSourcePorts(d.cfg.LPRSourcePorts) // validated with the config
		job := lpr.Job{Number: int(d.seq.Add(1) % 1000), Host: d.host, User: j.User.Email, Name: j.Name, Format: src.format,
			Banner: settings.LPRBanner}
		return lpr.Send(ctx, net.JoinHostPort(p.Address, strconv.Itoa(port)), p.Queue, job, doc, src.size,
			lpr.Options{SourcePorts: sp, ControlFirst: settings.LPRControlFirst, WriteTimeout: d.writeTimeout,
				AckTimeout: d.writeTimeout, Logger: d.log})
	default:
		return 0, fmt.Errorf("%w: printer %q uses %q", ErrUnsupportedProtocol, p.Name, p.Protocol)
	}
}

func (d *deliverer) printed(j heldJob, p Printer, n int64, took time.Duration) error {
	d.releases.WithLabelValues("printed").Inc()
	d.log.Info("job printed", "job", j.ID, "printer", p.Name, "bytes", n, "took", took.Round(time.Millisecond))
	if err := d.store.FinishJob(StateReport{JobID: j.ID, State: JobPrinted, PrinterID: p.ID}); err != nil {
		return fmt.Errorf("agent: record printed job: %w", err)
	}
	if j.local != nil {
		if err := d.docs.Remove(j.ID); err != nil {
			d.log.Warn("remove printed document", "job", j.ID, "err", err)
		}
	}
	d.reported()
	return nil
}

// fail keeps the job held with the reason and queues a "failed" report.
func (d *deliverer) fail(j heldJob, p Printer, attempts int, err error) error {
	d.releases.WithLabelValues("failed").Inc()
	reason := err.Error()
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen]
	}
	if serr := d.store.FailJob(StateReport{JobID: j.ID, State: JobFailed, PrinterID: p.ID, Reason: reason}, attempts); serr != nil {
		d.log.Error("record failed release", "job", j.ID, "err", serr)
	}
	d.reported()
	return err
}

// sendingMarkDelay is how long a send runs before it is recorded as
// "sending". Most jobs are through by then and cost no write at all; a long
// one, the kind a crash is likely to interrupt, is marked so that a restart
// reports it unconfirmed.
const sendingMarkDelay = 100 * time.Millisecond

// markSending records an attempt off the path to the printer's first byte:
// only if the send is still running after sendingMarkDelay, and then
// beside it, so a badge release waits neither for the disk nor for the
// file system journal an fsync holds. The returned func stops the timer or
// waits for the write; the outcome is recorded only after it, so "sending"
// never overwrites it.
func (d *deliverer) markSending(j heldJob) (done func()) {
	if j.local == nil {
		return func() {}
	}
	written := make(chan struct{})
	t := time.AfterFunc(sendingMarkDelay, func() {
		defer close(written)
		d.setState(j, JobSending)
	})
	return func() {
		if !t.Stop() {
			<-written
		}
	}
}

func (d *deliverer) setState(j heldJob, state string) {
	if j.local == nil {
		return
	}
	if err := d.store.SetJobState(j.ID, state, ""); err != nil {
		d.log.Warn("record job state", "job", j.ID, "state", state, "err", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
