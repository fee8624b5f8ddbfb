package snmprec

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Limits on one answer.
const (
	maxRequestVars = 64
	maxRepetitions = 64
	maxAnswerVars  = 512
	maxPacket      = 65507
)

// Agent answers SNMP requests from a recording on the sockets it is given.
type Agent struct {
	walk      *Walk
	community string // "" accepts any
	log       *slog.Logger

	// Writable lets SET change existing variables (same type) in memory;
	// the walk must then belong to this agent alone.
	Writable bool
	// Delay, when set, is waited before each answer: a printer's think time.
	Delay func() time.Duration

	data      sync.RWMutex // guards walk values when Writable
	wg        sync.WaitGroup
	mu        sync.Mutex
	conns     []net.PacketConn
	closeOnce sync.Once
}

// NewAgent serves walk. An empty community accepts every community, like
// a device whose read community is whatever the sweep tries first.
func NewAgent(walk *Walk, community string, log *slog.Logger) *Agent {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Agent{walk: walk, community: community, log: log}
}

// Serve answers on pc until Close; the agent owns pc from now on.
func (a *Agent) Serve(pc net.PacketConn) {
	a.mu.Lock()
	a.conns = append(a.conns, pc)
	a.mu.Unlock()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.loop(pc)
	}()
}

// Close closes every socket and waits for the loops to end.
func (a *Agent) Close() error {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		for _, c := range a.conns {
			c.Close()
		}
		a.mu.Unlock()
	})
	a.wg.Wait()
	return nil
}

func (a *Agent) loop(pc net.PacketConn) {
	buf := make([]byte, maxPacket)
	codec := &gosnmp.GoSNMP{Logger: gosnmp.NewLogger(nil)}
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				a.log.Debug("snmprec: read", "err", err)
			}
			return
		}
		out, err := a.answer(codec, buf[:n])
		if err != nil {
			a.log.Debug("snmprec: bad request", "from", from, "err", err)
			continue
		}
		if out != nil {
			if a.Delay != nil {
				time.Sleep(a.Delay())
			}
			_, _ = pc.WriteTo(out, from)
		}
	}
}

// Answer builds the response to one request datagram; nil means drop it
// (wrong community, or not a request), as a device would.
func (a *Agent) Answer(req []byte) ([]byte, error) {
	return a.answer(&gosnmp.GoSNMP{Logger: gosnmp.NewLogger(nil)}, req)
}

func (a *Agent) answer(codec *gosnmp.GoSNMP, req []byte) ([]byte, error) {
	p, err := codec.SnmpDecodePacket(req)
	if err != nil {
		return nil, err
	}
	if p.Version != gosnmp.Version1 && p.Version != gosnmp.Version2c {
		return nil, nil
	}
	if a.community != "" && p.Community != a.community {
		return nil, nil
	}
	if len(p.Variables) > maxRequestVars {
		return nil, errors.New("snmprec: too many variables")
	}
	resp := &gosnmp.SnmpPacket{
		Version:   p.Version,
		Community: p.Community,
		PDUType:   gosnmp.GetResponse,
		RequestID: p.RequestID,
	}
	v1 := p.Version == gosnmp.Version1
	if p.PDUType == gosnmp.SetRequest {
		a.data.Lock()
		defer a.data.Unlock()
	} else {
		a.data.RLock()
		defer a.data.RUnlock()
	}
	switch p.PDUType {
	case gosnmp.GetRequest:
		resp.Variables = a.get(p.Variables)
	case gosnmp.GetNextRequest:
		resp.Variables = a.bulk(p.Variables, len(p.Variables), 0, v1)
	case gosnmp.GetBulkRequest:
		if v1 {
			return nil, nil
		}
		resp.Variables = a.bulk(p.Variables, int(p.NonRepeaters), int(min(p.MaxRepetitions, maxRepetitions)), false)
	case gosnmp.SetRequest:
		resp.Variables = p.Variables
		if i, status := a.set(p.Variables); status != gosnmp.NoError {
			resp.Error, resp.ErrorIndex = status, uint8(min(i+1, 255))
			if v1 {
				resp.Error = gosnmp.ReadOnly
			}
		}
	default:
		return nil, nil
	}
	if v1 {
		// SNMPv1 has no exception values: the first one fails the request.
		for i, v := range resp.Variables {
			switch v.Type {
			case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
				resp.Error, resp.ErrorIndex = gosnmp.NoSuchName, uint8(min(i+1, 255))
				resp.Variables = p.Variables
			case gosnmp.Counter64:
				resp.Error, resp.ErrorIndex = gosnmp.NoSuchName, uint8(min(i+1, 255))
				resp.Variables = p.Variables
			}
			if resp.Error != gosnmp.NoError {
				break
			}
		}
		for i := range resp.Variables {
			if resp.Error != gosnmp.NoError {
				resp.Variables[i].Type, resp.Variables[i].Value = gosnmp.Null, nil
			}
		}
	}
	return resp.MarshalMsg()
}

func arcsOf(name string) []uint32 {
	arcs, err := parseOID(strings.TrimPrefix(name, "."))
	if err != nil {
		return nil
	}
	return arcs
}

func (a *Agent) get(vars []gosnmp.SnmpPDU) []gosnmp.SnmpPDU {
	out := make([]gosnmp.SnmpPDU, 0, len(vars))
	for _, v := range vars {
		if r, ok := a.walk.get(arcsOf(v.Name)); ok {
			out = append(out, r.PDU)
		} else {
			out = append(out, gosnmp.SnmpPDU{Name: v.Name, Type: gosnmp.NoSuchObject})
		}
	}
	return out
}

// bulk answers GETNEXT (reps 0, every variable a non-repeater) and GETBULK.
// SNMPv1 has no Counter64: a v1 GETNEXT steps over them, as agents do.
func (a *Agent) bulk(vars []gosnmp.SnmpPDU, nonRep, reps int, v1 bool) []gosnmp.SnmpPDU {
	nonRep = max(0, min(nonRep, len(vars)))
	var out []gosnmp.SnmpPDU
	nextOf := func(name string, after []uint32) (gosnmp.SnmpPDU, []uint32) {
		i := a.walk.next(after)
		for v1 && i < len(a.walk.Records) && a.walk.Records[i].PDU.Type == gosnmp.Counter64 {
			i++
		}
		if i >= len(a.walk.Records) {
			return gosnmp.SnmpPDU{Name: name, Type: gosnmp.EndOfMibView}, nil
		}
		r := a.walk.Records[i]
		return r.PDU, r.arcs
	}
	for _, v := range vars[:nonRep] {
		p, _ := nextOf(v.Name, arcsOf(v.Name))
		out = append(out, p)
	}
	rep := vars[nonRep:]
	cursor := make([][]uint32, len(rep))
	names := make([]string, len(rep))
	for i, v := range rep {
		cursor[i], names[i] = arcsOf(v.Name), v.Name
	}
	for r := 0; r < reps && len(out) < maxAnswerVars; r++ {
		for i := range rep {
			p, arcs := nextOf(names[i], cursor[i])
			if arcs != nil {
				cursor[i], names[i] = arcs, p.Name
			} else {
				cursor[i] = []uint32{^uint32(0)}
			}
			out = append(out, p)
		}
	}
	return out
}

// set applies a SET all or nothing: every variable must exist and keep its
// type. It returns the index and status of the first refused variable.
func (a *Agent) set(vars []gosnmp.SnmpPDU) (int, gosnmp.SNMPError) {
	if !a.Writable {
		return 0, gosnmp.NotWritable
	}
	idx := make([]int, len(vars))
	for i, v := range vars {
		arcs := arcsOf(v.Name)
		j := a.walk.next(arcs) - 1
		if j < 0 || j >= len(a.walk.Records) || compareArcs(a.walk.Records[j].arcs, arcs) != 0 {
			return i, gosnmp.NoCreation
		}
		if a.walk.Records[j].PDU.Type != v.Type {
			return i, gosnmp.WrongType
		}
		idx[i] = j
	}
	for i, v := range vars {
		val := v.Value
		if b, ok := val.([]byte); ok {
			val = bytes.Clone(b) // b points into the receive buffer
		}
		a.walk.Records[idx[i]].PDU.Value = val
	}
	return 0, gosnmp.NoError
}
