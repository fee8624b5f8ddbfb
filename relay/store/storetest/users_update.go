package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/edgeprint/edgeprint/relay/store"
)

func testUpdateUser(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	for _, u := range []store.User{
		{ID: "u1", CompanyID: "c1", Email: "ann@acme.example", Name: "Ann", Cards: []string{"0A"}, Created: t0},
		{ID: "u2", CompanyID: "c1", Email: "bob@acme.example", Name: "Bob", Cards: []string{"0B"}, Created: t0},
	} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.UpdateUser(ctx, "c1", "u1", func(u *store.User) error {
		u.Email, u.Name, u.Cards, u.Admin, u.DirectoryDN = "Ann.New@acme.example", "Ann New", []string{"0c"}, true, "uid=ann,dc=acme"
		u.ID, u.CompanyID = "hijack", "c2"
		return nil
	})
	if err != nil || got.ID != "u1" || got.CompanyID != "c1" || got.Email != "ann.new@acme.example" || got.Cards[0] != "0C" || !got.Admin {
		t.Fatalf("UpdateUser: %+v, %v", got, err)
	}
	if _, err := s.UserByEmail(ctx, "c1", "ann@acme.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old email still found: %v", err)
	}
	if _, err := s.UserByCard(ctx, "c1", "0A"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old card still found: %v", err)
	}
	if u, err := s.UserByCard(ctx, "c1", "0C"); err != nil || u.ID != "u1" {
		t.Fatalf("new card: %+v, %v", u, err)
	}
	if u, err := s.User(ctx, "c1", "u1"); err != nil || u.DirectoryDN != "uid=ann,dc=acme" || u.Name != "Ann New" {
		t.Fatalf("stored: %+v, %v", u, err)
	}
	// Taking another user's card or email is a conflict and changes nothing.
	for _, fn := range []func(*store.User){
		func(u *store.User) { u.Cards = append(u.Cards, "0B") },
		func(u *store.User) { u.Email = "bob@acme.example" },
	} {
		if _, err := s.UpdateUser(ctx, "c1", "u1", func(u *store.User) error { fn(u); return nil }); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("conflict: %v", err)
		}
	}
	if u, err := s.UserByCard(ctx, "c1", "0B"); err != nil || u.ID != "u2" {
		t.Fatalf("bob lost his card: %+v, %v", u, err)
	}
	if _, err := s.UpdateUser(ctx, "c1", "nope", func(*store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := s.UpdateUser(ctx, "c2", "u1", func(*store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other company: %v", err)
	}
}
