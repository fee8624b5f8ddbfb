package postgres

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/internal/pgtest"
	"github.com/edgeprint/edgeprint/relay/store"
)

// FuzzKeys feeds odd keys (NUL, invalid UTF-8, huge, SQL) to look-ups,
// rate limits, messages and site names: look-ups find nothing, nothing
// fails but a create refusing what it cannot store, and site names
// conflict exactly when strings.EqualFold says they are equal.
func FuzzKeys(f *testing.F) {
	for _, seed := range []string{"", "\x00", "a\x00b", "\xff\xfe", "c1/u1", "'; DROP TABLE companies; --",
		"ÀÉÎ", "ß", "\u212a", strings.Repeat("k", 300), strings.Repeat("é", 5000), "edgeprint_all"} {
		f.Add(seed)
	}
	db := open(f, pgtest.NewDatabase(f))
	if err := db.CreateCompany(f.Context(), store.Company{ID: "c1", Code: "ACME"}); err != nil {
		f.Fatal(err)
	}
	var round atomic.Int64
	f.Fuzz(func(t *testing.T, key string) {
		if key == "c1" {
			t.Skip("the one record there is")
		}
		ctx := t.Context()
		n := round.Add(1)
		lookups := map[string]func() error{
			"Company":     func() error { _, err := db.Company(ctx, key); return err },
			"Agent":       func() error { _, err := db.Agent(ctx, key); return err },
			"User":        func() error { _, err := db.User(ctx, "c1", key); return err },
			"UserByEmail": func() error { _, err := db.UserByEmail(ctx, "c1", key); return err },
			"UserByCard":  func() error { _, err := db.UserByCard(ctx, "c1", key); return err },
			"Job":         func() error { _, err := db.Job(ctx, "c1", key); return err },
			"Printer":     func() error { _, err := db.Printer(ctx, key, key); return err },
			"Site":        func() error { _, err := db.Site(ctx, "c1", key); return err },
			"TokenByHash": func() error { _, err := db.TokenByHash(ctx, []byte(key)); return err },
			"Document":    func() error { _, err := db.OpenDocument(ctx, key, make([]byte, 32)); return err },
			"Session": func() error {
				_, err := db.TouchSession(ctx, []byte(key), time.Now(), time.Hour)
				return err
			},
		}
		for name, fn := range lookups {
			if err := fn(); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s(%q) = %v, want ErrNotFound", name, key, err)
			}
		}

		now := time.Unix(0, 0).Add(time.Duration(n) * time.Hour) // a full bucket each round
		for i, want := range []bool{true, false} {
			if ok, err := db.Limit(ctx, key, time.Hour, 1, true, now); err != nil || ok != want {
				t.Fatalf("Limit(%q) spend %d = %v, %v; want %v", key, i, ok, err, want)
			}
		}
		if err := db.Send(ctx, key, []byte(key)); err != nil {
			t.Fatalf("Send to %q: %v", key, err)
		}

		site := store.Site{ID: fmt.Sprintf("s%d", n), CompanyID: "c1", Name: "fuzz " + fmt.Sprint(n) + key}
		if err := db.CreateSite(ctx, site); err != nil {
			t.Fatalf("CreateSite(%q): %v", site.Name, err)
		}
		other := site
		other.ID, other.Name = site.ID+"b", strings.ToUpper(site.Name)
		err := db.CreateSite(ctx, other)
		if fold := strings.EqualFold(site.Name, other.Name); fold != errors.Is(err, store.ErrConflict) || (!fold && err != nil) {
			t.Fatalf("site names %q and %q (EqualFold %v): second create %v", site.Name, other.Name, fold, err)
		}
	})
}
