package agent

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/edgeprint/edgeprint/cardreader"
)

// siteView is the site configuration compiled for the swipe path: readers
// by address with their chains and printers resolved. It is swapped whole
// when the relay sends a new configuration, so a swipe reads it without a
// lock or a database read.
type siteView struct {
	readers map[string]*readerEntry // by configured address
}

type readerEntry struct {
	Reader
	chain      cardreader.Chain
	chainErr   error
	printer    Printer
	printerErr error
}

// applySiteConfig saves a configuration from the relay and puts it to use.
func (a *Agent) applySiteConfig(sc SiteConfig) error {
	if err := a.store.SaveSiteConfig(sc); err != nil {
		return err
	}
	a.useSiteConfig(sc)
	a.updateQueue(sc)
	return nil
}

// useSiteConfig compiles sc for the swipe path and tells the dialers.
func (a *Agent) useSiteConfig(sc SiteConfig) {
	v := &siteView{readers: map[string]*readerEntry{}}
	printers := map[string]Printer{}
	for _, p := range sc.Printers {
		printers[p.ID] = p
	}
	for _, r := range sc.Readers {
		e := &readerEntry{Reader: r}
		e.Feedback = r.Feedback || cardreader.Models[r.Model].FeedbackDefault
		own, err := cardreader.ParseChain(r.Conversion)
		if err != nil {
			e.chainErr = err
			a.log.Error("card reader conversion is invalid; its swipes are refused", "reader", r.Address, "err", err)
		}
		e.chain = cardreader.ModelChain(r.Model).Then(own)
		p, ok := printers[r.PrinterID]
		switch {
		case !ok:
			e.printerErr = fmt.Errorf("agent: reader %s is mapped to an unknown printer", r.Address)
		case !p.Enabled:
			e.printerErr = fmt.Errorf("agent: printer %q is disabled", p.Name)
		}
		e.printer = p
		v.readers[r.Address] = e
	}
	a.swipe.site.Store(v)
	a.kick(a.swipe.siteChanged)
}

// readerAt returns the configured reader at addr.
func (a *Agent) readerAt(addr string) (*readerEntry, bool) {
	v := a.swipe.site.Load()
	if v == nil {
		return nil, false
	}
	e, ok := v.readers[addr]
	return e, ok
}

// allowReader is the listeners' allow-list: only addresses where the relay
// has a reader may connect.
func (a *Agent) allowReader(addr netip.Addr) bool {
	_, ok := a.readerAt(addr.String())
	return ok
}

// serverReaders lists the readers the agent must dial, keyed by what
// identifies a connection (model, address, port).
func (a *Agent) serverReaders() map[string]*readerEntry {
	out := map[string]*readerEntry{}
	v := a.swipe.site.Load()
	if v == nil {
		return out
	}
	for _, e := range v.readers {
		if e.Mode != "server" {
			continue
		}
		port := e.Port
		if port == 0 {
			port = cardreader.Models[e.Model].Port
		}
		out[e.Model+"|"+net.JoinHostPort(e.Address, strconv.Itoa(port))] = e
	}
	return out
}

// runDialers keeps one cardreader.Dialer per server-mode reader, starting
// and stopping them as the configuration changes. Every dialer is owned
// here and waited for before it returns.
func (a *Agent) runDialers(ctx context.Context) error {
	type running struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	live := map[string]running{}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer func() {
		for _, r := range live {
			r.cancel()
		}
	}()
	log := a.log.With("component", "cardreader")
	for {
		want := a.serverReaders()
		for k, r := range live {
			if _, ok := want[k]; !ok {
				r.cancel()
				<-r.done
				delete(live, k)
			}
		}
		for k, e := range want {
			if _, ok := live[k]; ok {
				continue
			}
			_, addr, _ := strings.Cut(k, "|")
			configured := e.Address
			d := &cardreader.Dialer{Model: e.Model, Addr: addr, Logger: log, Backoff: a.readerBackoff,
				Handler: func(ctx context.Context, s cardreader.Swipe) { a.handleSwipe(ctx, s, configured) }}
			dctx, cancel := context.WithCancel(ctx)
			r := running{cancel: cancel, done: make(chan struct{})}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(r.done)
				d.Run(dctx)
			}()
			live[k] = r
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.swipe.siteChanged:
		}
	}
}
