package mdnsbrowse

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/grandcat/zeroconf"
	"golang.org/x/sync/errgroup"
)

// DefaultWindow is how long a browse listens for answers.
const DefaultWindow = 3 * time.Second

// Services are the printer service types browsed.
var Services = []string{"_ipp._tcp", "_ipps._tcp", "_pdl-datastream._tcp", "_printer._tcp"}

// Device is one announced service instance of a printer.
type Device struct {
	Instance     string
	Service      string
	Host         string
	Port         int
	IPv4         []net.IP
	IPv6         []net.IP
	Manufacturer string
	Model        string
	Location     string
	UUID         string
	AdminURL     string
	Color        *bool
	Duplex       *bool
	PDLs         []string // MIME types from pdl
}

// Address is the device's first IPv4 address, else its first IPv6, else
// its host name.
func (d Device) Address() string {
	switch {
	case len(d.IPv4) > 0:
		return d.IPv4[0].String()
	case len(d.IPv6) > 0:
		return d.IPv6[0].String()
	}
	return d.Host
}

// Browse listens for window on every interface for the printer services
// and returns what answered, sorted by address and service. Each service
// is browsed by its own resolver; all of them have stopped on return.
func Browse(ctx context.Context, window time.Duration, log *slog.Logger) ([]Device, error) {
	if window <= 0 {
		window = DefaultWindow
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	var mu sync.Mutex
	var out []Device
	g, gctx := errgroup.WithContext(ctx)
	for _, svc := range Services {
		g.Go(func() error {
			r, err := zeroconf.NewResolver(nil)
			if err != nil {
				return fmt.Errorf("mdnsbrowse: resolver: %w", err)
			}
			entries := make(chan *zeroconf.ServiceEntry, 16)
			if err := r.Browse(gctx, svc, "local.", entries); err != nil {
				return fmt.Errorf("mdnsbrowse: browse %s: %w", svc, err)
			}
			// zeroconf closes entries when gctx ends; read to the end so its
			// sender never blocks.
			for e := range entries {
				d := FromEntry(svc, e.Instance, e.HostName, e.Port, e.AddrIPv4, e.AddrIPv6, e.Text)
				log.Debug("mdns answer", "service", svc, "instance", d.Instance, "address", d.Address())
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			}
			return nil
		})
	}
	err := g.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Address() != out[j].Address() {
			return out[i].Address() < out[j].Address()
		}
		return out[i].Service < out[j].Service
	})
	return out, err
}
