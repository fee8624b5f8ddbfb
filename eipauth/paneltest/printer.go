package paneltest

import (
	"io"
	"net/http"
	"sync"
)

// Call is one call a Printer received.
type Call struct {
	Path, Operation string
	Fields          map[string]string
}

// Printer serves a printer's smart_auth and cuiregistration web services,
// accepting only calls whose WS-Security UsernameToken carries Username and
// Password; others get a SOAP 1.2 Sender fault with HTTP 401.
type Printer struct {
	Username, Password string

	mu            sync.Mutex
	calls         []Call
	registrations map[string]string // checksum → name
}

// Calls returns the accepted calls so far.
func (p *Printer) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Registrations returns the registered apps by checksum.
func (p *Printer) Registrations() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]string{}
	for k, v := range p.registrations {
		out[k] = v
	}
	return out
}

func (p *Printer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	a, err := ReadAnswer(data)
	w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, fault("not XML"))
		return
	}
	if a.Fields["Username"] != p.Username || a.Fields["Password"] != p.Password || a.Fields["Nonce"] == "" || a.Fields["Created"] == "" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, fault("WS-Security UsernameToken rejected"))
		return
	}
	op := bodyOperation(data)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.registrations == nil {
		p.registrations = map[string]string{}
	}
	switch {
	case r.URL.Path == "/webservices/office/smart_auth/1" && (op == "InitiateLogin" || op == "ForceLogout"):
	case r.URL.Path == "/webservices/office/cuiregistration/1" && op == "PutRegistration":
		p.registrations[a.Fields["Checksum"]] = a.Fields["Name"]
	case r.URL.Path == "/webservices/office/cuiregistration/1" && op == "DeleteRegistration":
		delete(p.registrations, a.Fields["Checksum"])
	default:
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, fault("unknown operation "+op))
		return
	}
	p.calls = append(p.calls, Call{Path: r.URL.Path, Operation: op, Fields: a.Fields})
	io.WriteString(w, `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><`+op+`Response/></s:Body></s:Envelope>`)
}

func fault(reason string) string {
	return `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en">` + reason + `</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`
}
