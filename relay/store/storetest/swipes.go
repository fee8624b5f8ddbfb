package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

func testSwipes(t *testing.T, ctx context.Context, s store.Store) {
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	u := store.User{ID: "u1", CompanyID: "c1", Email: "ann@acme.example", Cards: []string{"AAAA"}, Created: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, store.User{ID: "u2", CompanyID: "c1", Email: "bob@acme.example", Cards: []string{"BBBB"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	unk := func(id, reader string, seen time.Time) store.UnknownCard {
		return store.UnknownCard{ID: id, CompanyID: "c1", ReaderID: reader, CardHash: []byte(id), SealedCard: []byte("sealed"), Masked: "****" + id, Seen: seen}
	}
	for _, c := range []store.UnknownCard{unk("h1", "r1", t0), unk("h2", "r1", t0.Add(time.Minute)), unk("h3", "r2", t0), unk("h1", "r1", t0.Add(2*time.Minute))} {
		if err := s.PutUnknownCard(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.UnknownCards(ctx, "c1", "r1", t0)
	if err != nil || len(got) != 2 || got[0].ID != "h1" || got[1].ID != "h2" {
		t.Fatalf("UnknownCards: %+v, %v", got, err)
	}
	if got, _ := s.UnknownCards(ctx, "c2", "r1", t0); len(got) != 0 {
		t.Fatalf("other company sees unknown cards: %+v", got)
	}
	if got, _ := s.UnknownCards(ctx, "c1", "r1", t0.Add(90*time.Second)); len(got) != 1 {
		t.Fatalf("UnknownCards since: %+v", got)
	}
	// A card someone owns cannot be claimed; the record stays.
	if _, err := s.ClaimCard(ctx, got[0], "u1", "BBBB"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("claim of an owned card: %v", err)
	}
	claimed, err := s.ClaimCard(ctx, got[0], "u1", "c0ffee")
	if err != nil || len(claimed.Cards) != 2 || claimed.Cards[1] != "C0FFEE" {
		t.Fatalf("ClaimCard: %+v, %v", claimed, err)
	}
	if owner, err := s.UserByCard(ctx, "c1", "C0FFEE"); err != nil || owner.ID != "u1" {
		t.Fatalf("claimed card owner: %+v, %v", owner, err)
	}
	if _, err := s.ClaimCard(ctx, got[0], "u2", "D00D"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second claim of the same record: %v", err)
	}
	if _, err := s.ClaimCard(ctx, unk("h2", "r1", t0), "nobody", "D00D"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim for an unknown user: %v", err)
	}
	n, err := s.PruneUnknownCards(ctx, t0.Add(30*time.Second))
	if err != nil || n != 1 { // h3 at r2; h2 was seen at t0+1m
		t.Fatalf("PruneUnknownCards: %d, %v", n, err)
	}
}
