package main

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/edgeprint/edgeprint/snmp/snmprec"
)

// expected is a capture with its identity from EXPECTED.tsv.
type expected struct {
	file, manufacturer, model, serial, mac string
	walk                                   *snmprec.Walk
}

// loadWalks reads the captures whose EXPECTED.tsv row has a model, serial
// and MAC: the printers a sweep can find "with full identity".
func loadWalks(dir string) ([]expected, error) {
	f, err := os.Open(filepath.Join(dir, "EXPECTED.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []expected
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		c := strings.Split(sc.Text(), "\t")
		if first || len(c) < 5 || c[2] == "" || c[3] == "" || c[4] == "" {
			continue
		}
		b, err := os.Open(filepath.Join(dir, c[0]))
		if err != nil {
			return nil, err
		}
		w, err := snmprec.Parse(b)
		b.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c[0], err)
		}
		out = append(out, expected{c[0], c[1], c[2], c[3], c[4], w})
	}
	if len(out) == 0 {
		return nil, errors.New("no capture with model, serial and MAC")
	}
	return out, nil
}

// site is the simulated printers: an SNMP agent on UDP 161 and a listener
// on TCP 9100 at each address.
type site struct {
	agents    []*snmprec.Agent
	listeners []net.Listener
	wg        sync.WaitGroup
	byAddr    map[string]expected
}

func findWalk(walks []expected, file string) (expected, bool) {
	for _, w := range walks {
		if w.file == file || w.file == file+".snmprec" {
			return w, true
		}
	}
	return expected{}, false
}

// startSite serves the walks round robin with package snmprec, one UDP
// socket per address.
func startSite(walks []expected, n int, latency time.Duration, log *slog.Logger) (*site, error) {
	s, err := startListeners(walks, n)
	if err != nil {
		return nil, err
	}
	var delay func() time.Duration
	if latency > 0 {
		delay = func() time.Duration { return rand.N(latency) }
	}
	for _, w := range walks {
		a := snmprec.NewAgent(w.walk, "", log)
		a.Delay = delay
		s.agents = append(s.agents, a)
	}
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("127.0.1.%d", i)
		pc, err := net.ListenPacket("udp4", addr+":161")
		if err != nil {
			s.close()
			return nil, fmt.Errorf("listen %s:161/udp (needs root or CAP_NET_BIND_SERVICE): %w", addr, err)
		}
		s.agents[(i-1)%len(walks)].Serve(pc)
	}
	return s, nil
}

// startListeners opens TCP 9100 on every address (CUPS lists a device only
// when it finds a way to print to it) and records which walk each serves.
func startListeners(walks []expected, n int) (*site, error) {
	s := &site{byAddr: map[string]expected{}}
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("127.0.1.%d", i)
		w := walks[(i-1)%len(walks)]
		ln, err := net.Listen("tcp4", addr+":9100")
		if err != nil {
			s.close()
			return nil, fmt.Errorf("listen %s:9100: %w", addr, err)
		}
		s.listeners = append(s.listeners, ln)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		s.byAddr[addr] = w
	}
	return s, nil
}

func (s *site) close() {
	for _, a := range s.agents {
		a.Close()
	}
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.wg.Wait()
}
