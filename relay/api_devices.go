package relay

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// Default ports by printer protocol.
const (
	defaultRawPort = 9100
	defaultLPRPort = 515
	maxQueueLen    = 100
)

type printerRequest struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Queue    string `json:"queue"`
	Enabled  *bool  `json:"enabled"`
}

type printerResponse struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Queue    string `json:"queue"`
	Enabled  bool   `json:"enabled"`
	SiteID   string `json:"site_id,omitempty"`
}

func toPrinterResponse(p store.Printer) printerResponse {
	return printerResponse{ID: p.ID, Name: p.Name, Address: p.Address, Port: p.Port, Protocol: p.Protocol, Queue: p.Queue, Enabled: p.Enabled, SiteID: p.SiteID}
}

func (s *Server) createPrinter(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req printerRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	p, err := newPrinter(companyID, req)
	if err != nil {
		return err
	}
	if err := s.store.CreatePrinter(r.Context(), p); err != nil {
		return err
	}
	s.log.Info("printer created", "company", companyID, "printer", p.ID, "address", p.Address)
	s.configChanged(companyID)
	writeJSON(w, http.StatusCreated, map[string]string{"id": p.ID})
	return nil
}

func newPrinter(companyID string, req printerRequest) (store.Printer, error) {
	name, err := cleanName("name", req.Name)
	if err != nil {
		return store.Printer{}, err
	}
	addr, err := cleanHost("address", req.Address)
	if err != nil {
		return store.Printer{}, err
	}
	p := store.Printer{ID: newID(), CompanyID: companyID, Name: name, Address: addr, Port: req.Port,
		Protocol: req.Protocol, Queue: strings.TrimSpace(req.Queue), Enabled: true, Created: time.Now().UTC()}
	switch p.Protocol {
	case store.ProtocolRaw9100:
		if p.Port == 0 {
			p.Port = defaultRawPort
		}
		if p.Queue != "" {
			return store.Printer{}, badRequest("queue applies to protocol lpr only")
		}
	case store.ProtocolLPR:
		if p.Port == 0 {
			p.Port = defaultLPRPort
		}
		if p.Queue == "" {
			return store.Printer{}, badRequest("queue is required for protocol lpr")
		}
		if len(p.Queue) > maxQueueLen || strings.IndexFunc(p.Queue, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return store.Printer{}, badRequest("queue must be at most %d printable ASCII characters without spaces", maxQueueLen)
		}
	default:
		return store.Printer{}, badRequest("protocol must be %q or %q", store.ProtocolRaw9100, store.ProtocolLPR)
	}
	if p.Port < 1 || p.Port > 65535 {
		return store.Printer{}, badRequest("port must be 1 to 65535")
	}
	if req.Enabled != nil {
		p.Enabled = *req.Enabled
	}
	return p, nil
}

func (s *Server) listPrinters(w http.ResponseWriter, r *http.Request, companyID string) error {
	ps, err := s.store.Printers(r.Context(), companyID)
	if err != nil {
		return err
	}
	out := make([]apiPrinter, 0, len(ps))
	for _, p := range ps {
		out = append(out, toAPIPrinter(p))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type readerRequest struct {
	Model     string `json:"model"`
	Address   string `json:"address"`
	PrinterID string `json:"printer_id"`
	store.ReaderOptions
}

type readerResponse struct {
	ID        string `json:"id"`
	Model     string `json:"model"`
	Address   string `json:"address"`
	PrinterID string `json:"printer_id"`
	store.ReaderOptions
}

func toReaderResponse(rd store.Reader) readerResponse {
	return readerResponse{ID: rd.ID, Model: rd.Model, Address: rd.Address, PrinterID: rd.PrinterID, ReaderOptions: rd.ReaderOptions}
}

func (s *Server) createReader(w http.ResponseWriter, r *http.Request, companyID string) error {
	var req readerRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	switch req.Model {
	case store.ReaderElatecTCPConv, store.ReaderElatecTCPConv2, store.ReaderRFIDeas241:
	default:
		return badRequest("model must be %q, %q or %q", store.ReaderElatecTCPConv, store.ReaderElatecTCPConv2, store.ReaderRFIDeas241)
	}
	addr, err := cleanHost("address", req.Address)
	if err != nil {
		return err
	}
	if req.PrinterID == "" {
		return badRequest("printer_id is required")
	}
	opts, err := readerOptions(req.Model, req.ReaderOptions)
	if err != nil {
		return err
	}
	rd := store.Reader{ID: newID(), CompanyID: companyID, Model: req.Model, Address: addr, PrinterID: req.PrinterID, Created: time.Now().UTC(), ReaderOptions: opts}
	if err := s.store.CreateReader(r.Context(), rd); errors.Is(err, store.ErrNotFound) {
		return badRequest("printer_id: no such printer")
	} else if err != nil {
		return err
	}
	s.log.Info("reader created", "company", companyID, "reader", rd.ID, "printer", rd.PrinterID)
	s.configChanged(companyID)
	writeJSON(w, http.StatusCreated, map[string]string{"id": rd.ID})
	return nil
}

func (s *Server) listReaders(w http.ResponseWriter, r *http.Request, companyID string) error {
	rs, err := s.store.Readers(r.Context(), companyID)
	if err != nil {
		return err
	}
	out := make([]readerResponse, 0, len(rs))
	for _, rd := range rs {
		out = append(out, toReaderResponse(rd))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
