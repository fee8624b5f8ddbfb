package snmp

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

// Options tune a sweep. Zero values take the defaults.
type Options struct {
	Concurrency int           // addresses in flight
	Rate        float64       // request packets per second, whole sweep; <0: unlimited
	Timeout     time.Duration // per request try
	Retries     int           // extra tries per request; <0: none
	Logger      *slog.Logger
	// Progress, when set, is called after each address with the count done.
	Progress func(done, total int)
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Sweep probes every target and reads each printer that answers. It
// returns the printers in target order; addresses that do not answer, or
// answer but are not printers, are left out. Only a cancelled context is
// an error; the printers found until then are returned with it.
func Sweep(ctx context.Context, targets []Target, opts Options) ([]Printer, error) {
	opts = opts.withDefaults()
	var lim *rate.Limiter
	if opts.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(opts.Rate), max(1, int(opts.Rate/10)))
	}
	results := make([]*Printer, len(targets))
	var mu sync.Mutex
	done := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for i, t := range targets {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			p, err := ReadTarget(gctx, t, opts.Timeout, opts.Retries, lim)
			if err == nil {
				results[i] = &p
			} else if gctx.Err() == nil {
				opts.Logger.Debug("no printer", "address", t.Address(), "err", err)
			}
			if opts.Progress != nil {
				mu.Lock()
				done++
				opts.Progress(done, len(targets))
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	var out []Printer
	for _, p := range results {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, ctx.Err()
}

// ReadTarget tries the target's credentials in order and reads the device
// with the first that answers. It fails with ErrNoResponse when none
// answers and ErrNotPrinter when the device is not a printer.
func ReadTarget(ctx context.Context, t Target, timeout time.Duration, retries int, lim *rate.Limiter) (Printer, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	retries = max(retries, 0)
	lastErr := error(ErrNoResponse)
	for _, cred := range t.Credentials {
		c, err := dial(ctx, t.Host, portOr(t.Port), cred, timeout, retries, lim)
		if err != nil {
			lastErr = err
			continue
		}
		p, err := readWith(ctx, c, t.Address())
		c.close()
		if err == nil {
			p.Credential = cred.Label()
			return p, nil
		}
		if err == ErrNotPrinter || ctx.Err() != nil {
			return Printer{}, err
		}
		lastErr = err
	}
	return Printer{}, lastErr
}

func portOr(p int) int {
	if p == 0 {
		return DefaultPort
	}
	return p
}

func readWith(ctx context.Context, c client, addr string) (Printer, error) {
	vs, err := probe(ctx, c)
	if err != nil {
		return Printer{}, err
	}
	if err := read(ctx, c, vs); err != nil {
		return Printer{}, err
	}
	if !isPrinter(vs) {
		return Printer{}, ErrNotPrinter
	}
	p := decode(addr, vs)
	p.Sources = []string{"snmp"}
	return p, nil
}
