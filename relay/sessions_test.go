package relay

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// TestConsoleSessionSurvivesRestart: sessions live in the store, so a
// restart (or another replica) keeps the user signed in, and the store
// holds the cookie's SHA-256, not the cookie.
func TestConsoleSessionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	acme := initTenant(t, dir, "ACME")
	r1 := startRelay(t, dir)
	c := newConsole(t, r1)
	if st := c.login(t, "ACME", acme.adminEmail, acme.adminPassword); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}
	r2 := startRelay(t, dir)
	c.r = r2
	if st, _ := c.get(t, "/"); st != http.StatusOK {
		t.Fatalf("home after a restart: %d, want 200 (still signed in)", st)
	}

	u, _ := url.Parse(r2.srv.URL())
	var cookie string
	for _, ck := range c.client.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			cookie = ck.Value
		}
	}
	now, idle := time.Now().UTC(), time.Hour
	if _, err := r2.srv.store.TouchSession(t.Context(), []byte(cookie), now, idle); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the cookie value itself finds a session: %v", err)
	}
	if _, err := r2.srv.store.TouchSession(t.Context(), sessionHash(cookie), now, idle); err != nil {
		t.Fatalf("the cookie's hash finds no session: %v", err)
	}
}
