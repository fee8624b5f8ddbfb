package eipauth_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/eipauth"
	"github.com/edgeprint/edgeprint/eipauth/paneltest"
)

var soapSeeds = []string{
	`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><InitAuthenticationSession/></s:Body></s:Envelope>`,
	`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><a>1</a></s:Header><s:Body><x:ValidateAndContinue xmlns:x="u"><x:SessionId>1</x:SessionId><x:BadgeNumber>1001</x:BadgeNumber></x:ValidateAndContinue></s:Body></s:Envelope>`,
	`<Envelope><Body><ContinueOrCloseSession><Action>Close</Action></ContinueOrCloseSession></Body></Envelope>`,
	`<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><CloseSession><SessionId>&amp;&#65;</SessionId></CloseSession></s:Body></s:Envelope>`,
	`<<<`, ``, `<a><b><c>`, `<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`,
}

func FuzzParse(f *testing.F) {
	for _, s := range soapSeeds {
		f.Add([]byte(s), "text/xml")
	}
	f.Fuzz(func(t *testing.T, data []byte, ctype string) {
		m, err := eipauth.Parse(bytes.NewReader(data), ctype)
		if m == nil {
			t.Fatal("nil message")
		}
		if err == nil && m.Operation == "" {
			t.Fatal("parsed without an operation")
		}
	})
}

// FuzzConvAuth: whatever the body, the answer is a SOAP envelope: a
// response with 200, or a fault with 400/500.
func FuzzConvAuth(f *testing.F) {
	for _, s := range soapSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	b := newBackend()
	svc := eipauth.New(eipauth.Config{Printers: b, Authenticator: b, Cards: b, Jobs: b})
	h := svc.ConvAuthHandler("")
	f.Fuzz(func(t *testing.T, data []byte, soap12 bool) {
		ctype := "text/xml"
		if soap12 {
			ctype = "application/soap+xml"
		}
		req := httptest.NewRequest("POST", eipauth.DefaultPath, bytes.NewReader(data))
		req.Header.Set("Content-Type", ctype)
		req.RemoteAddr = "127.0.0.1:4000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		a, err := paneltest.ReadAnswer(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("answer is not XML: %v", err)
		}
		switch rec.Code {
		case http.StatusOK:
			if a.Fault != "" {
				t.Fatal("fault with 200")
			}
		case http.StatusBadRequest, http.StatusInternalServerError:
			if a.Fault == "" {
				t.Fatalf("status %d without a fault: %q", rec.Code, rec.Body.Bytes())
			}
			if rec.Code == http.StatusBadRequest && !bytes.Contains(rec.Body.Bytes(), []byte(eipauth.NS12)) {
				t.Fatalf("400 for a SOAP 1.1 fault: %q", rec.Body.Bytes())
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// FuzzSSOToken: no token but a signed one gets anything but 401/403.
func FuzzSSOToken(f *testing.F) {
	for _, s := range []string{"", ".", "a.b", "eyJ1Ijp7fX0.AAAA", "Bearer x", strings.Repeat("A", 5000) + "." + "B"} {
		f.Add(s)
	}
	b := newBackend()
	svc := eipauth.New(eipauth.Config{Printers: b, Authenticator: b, Cards: b, Jobs: b})
	h := svc.SSOHandler()
	f.Fuzz(func(t *testing.T, token string) {
		for _, path := range []string{"/sso/v1/jobs", "/sso/v1/jobs/j-a1/release"} {
			method := "GET"
			if strings.HasSuffix(path, "release") {
				method = "POST"
			}
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			req.RemoteAddr = "127.0.0.1:4000"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusForbidden {
				t.Fatalf("%s %s with %q: %d", method, path, token, rec.Code)
			}
		}
	})
}
