package agent

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/ldapauth"
)

// TestServeDirectoryLogin covers the answers that need no directory; the
// rest run against slapd in ldap_e2e_test.go.
func TestServeDirectoryLogin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	dir, err := newDirectory([]ldapauth.Config{{Domains: []string{"acme.example"}, Servers: []string{"ldap://" + dead}, BaseDN: "dc=acme,dc=example"}}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  *ldapauth.Directory
		body string
		want int
	}{
		{"no directory", nil, `{"username":"alice","password":"pw-secret-1"}`, http.StatusNotFound},
		{"bad JSON", dir, `{"username":`, http.StatusBadRequest},
		{"unknown field", dir, `{"username":"a","password":"pw-secret-1","x":1}`, http.StatusBadRequest},
		{"too big", dir, `{"username":"` + strings.Repeat("a", maxDirectoryLoginBody) + `"}`, http.StatusBadRequest},
		{"empty password", dir, `{"username":"alice","password":""}`, http.StatusUnauthorized},
		{"other domain", dir, `{"username":"EVIL\\alice","password":"pw-secret-1"}`, http.StatusNotFound},
		{"directory down", dir, `{"username":"alice","password":"pw-secret-1"}`, http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &Agent{log: log, dir: tc.dir}
			w := httptest.NewRecorder()
			a.serveDirectoryLogin(w, httptest.NewRequest("POST", "/relay/v1/ldap/authenticate", strings.NewReader(tc.body)))
			if w.Code != tc.want {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.want)
			}
		})
	}
	if strings.Contains(logs.String(), "pw-secret-1") {
		t.Fatalf("a password is in the log:\n%s", logs)
	}
}
