package eipauth

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// Version is a SOAP envelope version.
type Version int

// SOAP versions.
const (
	SOAP11 Version = 11
	SOAP12 Version = 12
)

// Envelope namespaces and the namespace of the elements edgeprint defines.
const (
	NS11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NS12 = "http://www.w3.org/2003/05/soap-envelope"
	// NS is edgeprint's namespace for the Convenience Authentication
	// elements it defines (README.md); requests are matched by local name
	// whatever their namespace.
	NS = "urn:edgeprint:eipauth:1"
)

// Limits on one SOAP request.
const (
	MaxBody      = 64 << 10
	maxDepth     = 32
	maxElements  = 1024
	maxFieldText = 4 << 10
)

// Errors of parsing.
var (
	ErrMalformed = errors.New("eipauth: malformed SOAP envelope")
	ErrTooLarge  = errors.New("eipauth: SOAP request too large")
)

// Message is a parsed SOAP request: the operation (the first element of the
// Body) and the text of every leaf element under it and under the Header,
// keyed by local name. The first occurrence of a name wins; repeated names
// are kept in order in Lists.
type Message struct {
	Version   Version
	Operation string
	Fields    map[string]string
	Lists     map[string][]string
	Header    map[string]string
}

// Get returns the first field with any of names, matched case-insensitively.
func (m *Message) Get(names ...string) string {
	for _, n := range names {
		if v, ok := m.Fields[strings.ToLower(n)]; ok {
			return v
		}
	}
	return ""
}

// Has reports whether a field with any of names was sent, even empty.
func (m *Message) Has(names ...string) bool {
	for _, n := range names {
		if _, ok := m.Fields[strings.ToLower(n)]; ok {
			return true
		}
	}
	return false
}

// versionOf guesses the version from the HTTP Content-Type, used when the
// envelope cannot tell (a fault for garbage).
func versionOf(contentType string) Version {
	if strings.Contains(strings.ToLower(contentType), "application/soap+xml") {
		return SOAP12
	}
	return SOAP11
}

// Parse reads one SOAP envelope, leniently: any envelope namespace whose
// local names are Envelope/Header/Body is taken (the namespace picks the
// version, else the Content-Type), elements are matched by local name, and
// text is trimmed.
func Parse(r io.Reader, contentType string) (*Message, error) {
	m := &Message{Version: versionOf(contentType), Fields: map[string]string{}, Lists: map[string][]string{}, Header: map[string]string{}}
	dec := xml.NewDecoder(io.LimitReader(r, MaxBody+1))
	dec.Strict = true
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "us-ascii", "ascii":
			return in, nil
		}
		return nil, fmt.Errorf("charset %q not supported", label)
	}
	var (
		path     []string // local names from the Envelope down
		text     strings.Builder
		leaf     bool
		elements int
		sawBody  bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if dec.InputOffset() > MaxBody {
				return m, ErrTooLarge
			}
			return m, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if dec.InputOffset() > MaxBody {
			return m, ErrTooLarge
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elements++
			if elements > maxElements || len(path) >= maxDepth {
				return m, fmt.Errorf("%w: too many or too deeply nested elements", ErrMalformed)
			}
			name := t.Name.Local
			switch len(path) {
			case 0:
				if name != "Envelope" {
					return m, fmt.Errorf("%w: root is %q, not Envelope", ErrMalformed, name)
				}
				switch t.Name.Space {
				case NS11:
					m.Version = SOAP11
				case NS12:
					m.Version = SOAP12
				}
			case 1:
				if name == "Body" {
					sawBody = true
				}
			case 2:
				if path[1] == "Body" && m.Operation == "" {
					m.Operation = name
				}
			}
			path = append(path, name)
			text.Reset()
			leaf = true
		case xml.CharData:
			if leaf && text.Len() < maxFieldText {
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) == 0 {
				return m, fmt.Errorf("%w: unbalanced", ErrMalformed)
			}
			name := strings.ToLower(path[len(path)-1])
			if leaf && len(path) >= 3 {
				v := strings.TrimSpace(text.String())
				switch path[1] {
				case "Body":
					if len(path) > 3 {
						if _, ok := m.Fields[name]; !ok {
							m.Fields[name] = v
						}
						m.Lists[name] = append(m.Lists[name], v)
					}
				case "Header":
					if _, ok := m.Header[name]; !ok {
						m.Header[name] = v
					}
				}
			}
			leaf = false
			path = path[:len(path)-1]
		}
	}
	if !sawBody || m.Operation == "" {
		return m, fmt.Errorf("%w: no Body or no operation in it", ErrMalformed)
	}
	return m, nil
}

// Field is one element of an answer; Value is escaped, Children nest. Name
// may carry attributes after a space; they are written as given.
type Field struct {
	Name     string
	Value    string
	Children []Field
}

// F makes a leaf Field.
func F(name, value string) Field { return Field{Name: name, Value: value} }

func envNS(v Version) string {
	if v == SOAP12 {
		return NS12
	}
	return NS11
}

// ContentType is the HTTP Content-Type of a version's messages.
func ContentType(v Version) string {
	if v == SOAP12 {
		return "application/soap+xml; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

// Build writes an envelope whose Body holds one element, op, in edgeprint's
// namespace with fields as children.
func Build(v Version, header []Field, op string, fields ...Field) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	fmt.Fprintf(&b, `<soap:Envelope xmlns:soap="%s">`, envNS(v))
	if len(header) > 0 {
		b.WriteString("<soap:Header>")
		writeFields(&b, header)
		b.WriteString("</soap:Header>")
	}
	fmt.Fprintf(&b, `<soap:Body><%s xmlns="%s">`, op, NS)
	writeFields(&b, fields)
	fmt.Fprintf(&b, `</%s></soap:Body></soap:Envelope>`, op)
	return b.Bytes()
}

func writeFields(b *bytes.Buffer, fields []Field) {
	for _, f := range fields {
		b.WriteString("<" + f.Name + ">")
		if len(f.Children) > 0 {
			writeFields(b, f.Children)
		} else {
			xml.EscapeText(b, []byte(f.Value))
		}
		end, _, _ := strings.Cut(f.Name, " ")
		b.WriteString("</" + end + ">")
	}
}

// Fault codes: the sender's fault (bad request) or ours.
const (
	FaultSender   = "Sender"
	FaultReceiver = "Receiver"
)

// BuildFault writes a SOAP fault in v's form: faultcode Client/Server and
// faultstring for 1.1, Code/Value Sender/Receiver and Reason/Text for 1.2.
func BuildFault(v Version, code, reason string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	fmt.Fprintf(&b, `<soap:Envelope xmlns:soap="%s"><soap:Body><soap:Fault>`, envNS(v))
	if v == SOAP12 {
		fmt.Fprintf(&b, `<soap:Code><soap:Value>soap:%s</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">`, code)
		xml.EscapeText(&b, []byte(reason))
		b.WriteString(`</soap:Text></soap:Reason>`)
	} else {
		c := "Client"
		if code == FaultReceiver {
			c = "Server"
		}
		fmt.Fprintf(&b, `<faultcode>soap:%s</faultcode><faultstring>`, c)
		xml.EscapeText(&b, []byte(reason))
		b.WriteString(`</faultstring>`)
	}
	b.WriteString(`</soap:Fault></soap:Body></soap:Envelope>`)
	return b.Bytes()
}

// writeFault answers a fault: HTTP 500 for every SOAP 1.1 fault (SOAP 1.1
// §6.2), 400 for a 1.2 Sender fault and 500 for a 1.2 Receiver fault (SOAP
// 1.2 part 2 §7.5.1).
func writeFault(w http.ResponseWriter, v Version, code, reason string) {
	status := http.StatusInternalServerError
	if v == SOAP12 && code == FaultSender {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", ContentType(v))
	w.WriteHeader(status)
	w.Write(BuildFault(v, code, reason))
}

func writeSOAP(w http.ResponseWriter, v Version, op string, fields ...Field) {
	w.Header().Set("Content-Type", ContentType(v))
	w.Write(Build(v, nil, op, fields...))
}

// logUnknown logs, at debug, the fields of m that op does not know, so a
// real printer's elements can be captured and added to known.
func logUnknown(log *slog.Logger, m *Message, known map[string]bool) {
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	var unknown []string
	for k := range m.Fields {
		if !known[k] {
			unknown = append(unknown, k+"="+m.Fields[k])
		}
	}
	if len(unknown) > 0 {
		log.Debug("unknown SOAP elements", "operation", m.Operation, "elements", unknown)
	}
}
