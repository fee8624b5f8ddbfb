// Package paneltest simulates an MFP panel that uses Convenience
// Authentication, and a printer's smart_auth/cuiregistration web services.
// It is written from eipauth/README.md, not from the server's code, and
// shares none of it: it builds and reads envelopes itself.
package paneltest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Panel is one printer's panel talking to an authentication server.
type Panel struct {
	URL       string       // https://host:port/path
	Client    *http.Client // trusting the agent's certificate
	SOAP12    bool
	PrinterID string // sent as X-Edgeprint-Printer when set

	Session string // from the last InitAuthenticationSession
}

// Answer is a response's fields by local name (first wins), and its HTTP
// status; Fault is set for a SOAP fault.
type Answer struct {
	Status int
	Fields map[string]string
	All    map[string][]string
	Fault  string
}

// Call posts one operation with fields (name, value, name, value…).
func (p *Panel) Call(ctx context.Context, op string, fields ...string) (Answer, error) {
	var b strings.Builder
	env, ctype := "http://schemas.xmlsoap.org/soap/envelope/", "text/xml; charset=utf-8"
	if p.SOAP12 {
		env, ctype = "http://www.w3.org/2003/05/soap-envelope", "application/soap+xml; charset=utf-8"
	}
	fmt.Fprintf(&b, `<?xml version="1.0"?><s:Envelope xmlns:s="%s"><s:Body><x:%s xmlns:x="http://example.com/mfp">`, env, op)
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, "<x:%s>", fields[i])
		xml.EscapeText(&b, []byte(fields[i+1]))
		fmt.Fprintf(&b, "</x:%s>", fields[i])
	}
	fmt.Fprintf(&b, `</x:%s></s:Body></s:Envelope>`, op)
	return p.Raw(ctx, ctype, []byte(b.String()))
}

// Raw posts body as is.
func (p *Panel) Raw(ctx context.Context, contentType string, body []byte) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", contentType)
	if p.PrinterID != "" {
		req.Header.Set("X-Edgeprint-Printer", p.PrinterID)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return Answer{}, err
	}
	a, err := ReadAnswer(data)
	a.Status = resp.StatusCode
	return a, err
}

// ReadAnswer collects the leaf elements of a SOAP answer.
func ReadAnswer(data []byte) (Answer, error) {
	a := Answer{Fields: map[string]string{}, All: map[string][]string{}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return a, fmt.Errorf("paneltest: answer is not XML: %v: %q", err, data)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			name := stack[len(stack)-1]
			v := strings.TrimSpace(text.String())
			if v != "" {
				if _, ok := a.Fields[name]; !ok {
					a.Fields[name] = v
				}
				a.All[name] = append(a.All[name], v)
			}
			if name == "faultstring" || (name == "Text" && len(stack) > 2 && stack[len(stack)-2] == "Reason") {
				a.Fault = v
			}
			stack = stack[:len(stack)-1]
			text.Reset()
		}
	}
	return a, nil
}

// Init shows the blocking screen: InitAuthenticationSession.
func (p *Panel) Init(ctx context.Context) (Answer, error) {
	a, err := p.Call(ctx, "InitAuthenticationSession", "DeviceName", "simulated MFP", "SerialNumber", "SIM-1")
	if err == nil && a.Fault == "" {
		p.Session = a.Fields["SessionId"]
	}
	return a, err
}

// Badge validates a card number.
func (p *Panel) Badge(ctx context.Context, card string) (Answer, error) {
	return p.Call(ctx, "ValidateAndContinue", "SessionId", p.Session, "BadgeNumber", card)
}

// Login validates a username and password.
func (p *Panel) Login(ctx context.Context, user, password string) (Answer, error) {
	return p.Call(ctx, "ValidateAndContinue", "SessionId", p.Session, "UserName", user, "Password", password)
}

// Poll asks whether an unlock code was entered.
func (p *Panel) Poll(ctx context.Context) (Answer, error) {
	return p.Call(ctx, "ValidateAndContinue", "SessionId", p.Session, "Method", "UnlockCode")
}

// Continue keeps the session.
func (p *Panel) Continue(ctx context.Context) (Answer, error) {
	return p.Call(ctx, "ContinueOrCloseSession", "SessionId", p.Session, "Action", "Continue")
}

// Close logs out.
func (p *Panel) Close(ctx context.Context) (Answer, error) {
	return p.Call(ctx, "CloseSession", "SessionId", p.Session)
}
