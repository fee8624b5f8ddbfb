package relay

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/edgeprint/edgeprint/relay/store"
)

// Limits on an agent's printer inventory.
const (
	maxInventoryBody     = 8 << 20
	maxInventoryPrinters = 4096
	maxInventoryText     = 200
	maxInventoryList     = 64
)

// inventoryPrinter is one printer of PUT /agent/v1/printers. Unknown
// fields are ignored: agents may be newer than their relay.
type inventoryPrinter struct {
	Address        string         `json:"address"`
	Manufacturer   string         `json:"manufacturer"`
	Model          string         `json:"model"`
	Serial         string         `json:"serial"`
	MAC            string         `json:"mac"`
	Name           string         `json:"name"`
	Location       string         `json:"location"`
	Color          *bool          `json:"color"`
	Duplex         *bool          `json:"duplex"`
	Languages      []string       `json:"languages"`
	Status         string         `json:"status"`
	Errors         []string       `json:"errors"`
	Supplies       []store.Supply `json:"supplies"`
	PageCount      *int64         `json:"page_count"`
	ColorPageCount *int64         `json:"color_page_count"`
	MonoPageCount  *int64         `json:"mono_page_count"`
}

type inventoryResult struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	Created bool   `json:"created"`
}

// agentPutPrinters merges an agent's discovered printers into its
// company's printers: a known one (same serial, else same MAC, else same
// address) gets the new state and follows an address change; a new one is
// created disabled, for an admin to enable; a manual printer at the same
// address keeps its settings and only gains the discovered state.
func (s *Server) agentPutPrinters(w http.ResponseWriter, r *http.Request, a store.Agent) error {
	var req struct {
		Printers []inventoryPrinter `json:"printers"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxInventoryBody))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "inventory over %d bytes", maxInventoryBody)
		}
		if errors.Is(err, io.EOF) {
			return badRequest("request body is empty")
		}
		return badRequest("invalid JSON: %v", err)
	}
	if len(req.Printers) > maxInventoryPrinters {
		return badRequest("more than %d printers", maxInventoryPrinters)
	}
	ctx := r.Context()
	s.inventoryMu.Lock()
	defer s.inventoryMu.Unlock()
	existing, err := s.store.Printers(ctx, a.CompanyID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	out := make([]inventoryResult, 0, len(req.Printers))
	changed := false
	for _, ip := range req.Printers {
		host, err := inventoryHost(ip.Address)
		if err != nil {
			return err
		}
		d := ip.discovery(now)
		i := matchPrinter(existing, d, host)
		if i < 0 {
			p := store.Printer{ID: newID(), CompanyID: a.CompanyID, Name: inventoryName(d, host), Address: host,
				Port: defaultRawPort, Protocol: store.ProtocolRaw9100, Enabled: false, Created: now,
				Source: store.PrinterDiscovered, AgentID: a.ID, Discovery: d}
			if err := s.store.CreatePrinter(ctx, p); err != nil {
				return err
			}
			s.log.Info("printer discovered", "company", a.CompanyID, "agent", a.ID, "printer", p.ID,
				"address", host, "model", d.Model, "serial", d.Serial)
			existing = append(existing, p)
			out = append(out, inventoryResult{p.ID, p.Address, p.Name, p.Enabled, true})
			changed = true
			continue
		}
		old := existing[i]
		p, err := s.store.UpdatePrinter(ctx, a.CompanyID, old.ID, func(p *store.Printer) error {
			p.Discovery = d
			if p.Source == store.PrinterDiscovered {
				p.AgentID = a.ID
				p.Address = host
			}
			return nil
		})
		if err != nil {
			return err
		}
		if p.Address != old.Address {
			s.log.Info("printer address changed", "company", a.CompanyID, "printer", p.ID, "from", old.Address, "to", p.Address)
			changed = true
		}
		existing[i] = p
		out = append(out, inventoryResult{p.ID, p.Address, p.Name, p.Enabled, false})
	}
	if changed {
		s.configChanged(a.CompanyID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"printers": out})
	return nil
}

// matchPrinter finds the stored printer d is: a discovered printer with
// the same serial, else the same MAC, else (when neither side can tell by
// serial or MAC) any printer at the same address.
func matchPrinter(ps []store.Printer, d *store.Discovery, host string) int {
	if d.Serial != "" {
		for i, p := range ps {
			if p.Discovery != nil && strings.EqualFold(p.Discovery.Serial, d.Serial) &&
				(p.Discovery.Manufacturer == "" || d.Manufacturer == "" || strings.EqualFold(p.Discovery.Manufacturer, d.Manufacturer)) {
				return i
			}
		}
	}
	if d.MAC != "" {
		for i, p := range ps {
			if p.Discovery != nil && strings.EqualFold(p.Discovery.MAC, d.MAC) {
				return i
			}
		}
	}
	for i, p := range ps {
		if !strings.EqualFold(p.Address, host) {
			continue
		}
		if p.Discovery == nil || (p.Discovery.Serial == "" || d.Serial == "") && (p.Discovery.MAC == "" || d.MAC == "") {
			return i
		}
	}
	return -1
}

func inventoryHost(addr string) (string, error) {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	return cleanHost("address", addr)
}

func inventoryName(d *store.Discovery, host string) string {
	name := strings.TrimSpace(d.Manufacturer + " " + d.Model)
	if name == "" {
		name = host
	}
	if d.Serial != "" {
		name += " (" + d.Serial + ")"
	}
	if n, err := cleanName("name", name); err == nil {
		return n
	}
	return host
}

func (ip inventoryPrinter) discovery(now time.Time) *store.Discovery {
	d := &store.Discovery{
		Manufacturer: cut(ip.Manufacturer), Model: cut(ip.Model), Serial: cut(ip.Serial), MAC: cut(ip.MAC),
		Location: cut(ip.Location), Color: ip.Color, Duplex: ip.Duplex, Status: cut(ip.Status),
		Languages: cutList(ip.Languages), Errors: cutList(ip.Errors),
		PageCount: ip.PageCount, ColorPageCount: ip.ColorPageCount, MonoPageCount: ip.MonoPageCount,
		LastSeen: now,
	}
	for i, sp := range ip.Supplies {
		if i >= maxInventoryList {
			break
		}
		sp.Name, sp.Color, sp.Kind = cut(sp.Name), cut(sp.Color), cut(sp.Kind)
		if sp.Percent != nil && (*sp.Percent < 0 || *sp.Percent > 100) {
			sp.Percent = nil
		}
		d.Supplies = append(d.Supplies, sp)
	}
	return d
}

// cut keeps valid UTF-8 without control characters, at most
// maxInventoryText runes.
func cut(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxInventoryText {
		s = string([]rune(s)[:maxInventoryText])
	}
	return strings.TrimSpace(s)
}

func cutList(l []string) []string {
	var out []string
	for i, s := range l {
		if i >= maxInventoryList {
			break
		}
		if s = cut(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
