package relay

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/edgeprint/edgeprint/relay/store"
)

// FuzzDecodeJSON feeds request bodies to the strict decoder used by every
// JSON route.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.c","name":"n","cards":["AB"]}`, `{}`, ``, `{"x":1}`, `{} {}`, `[`, `{"cards":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var req userRequest
		if err := decodeJSON(httptest.NewRecorder(), r, &req, false); err == nil {
			_, _ = newUser("c", userRequest{Email: req.Email, Name: req.Name, Cards: req.Cards})
		}
	})
}

// FuzzJobHeaders feeds upload headers from the tunnel to their parser.
func FuzzJobHeaders(f *testing.F) {
	f.Add("u1", "Report.pdf", "application/pdf", "2025-03-01T12:00:00Z")
	f.Add("", "\x00\xff", "text/plain; charset=", "yesterday")
	f.Fuzz(func(t *testing.T, user, name, ctype, created string) {
		r := httptest.NewRequest("PUT", "/agent/v1/jobs/x", nil)
		r.Header = http.Header{"X-Edgeprint-User": {user}, "X-Edgeprint-Job-Name": {name}, "Content-Type": {ctype}, "X-Edgeprint-Created": {created}}
		j, err := jobFromHeaders(r, store.Agent{ID: "a", CompanyID: "c"}, "x")
		if err != nil {
			return
		}
		if !utf8.ValidString(j.Name) || j.Name == "" || utf8.RuneCountInString(j.Name) > maxNameLen {
			t.Fatalf("job name %q", j.Name)
		}
	})
}

// FuzzNormalize checks the card, email and host checks never panic and
// that a normalised card stays normalised.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"04a1b2", " 12 ", "ann@acme.example", "10.0.0.1", "printer-1.acme.example", "::1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := store.NormalizeCard(s); err == nil {
			if again, err := store.NormalizeCard(c); err != nil || again != c {
				t.Fatalf("card %q normalised to %q, then %q %v", s, c, again, err)
			}
		}
		_, _ = store.NormalizeEmail(s)
		_, _ = store.NormalizeCompanyCode(s)
		_, _ = cleanHost("address", s)
		_ = normalizeActivationCode(s)
	})
}
