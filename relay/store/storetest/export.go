package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// testExport checks what `relay migrate` reads and writes besides the rest
// of Store. Backends that do not implement store.ExportStore yet skip it.
func testExport(t *testing.T, ctx context.Context, s store.Store) {
	x, ok := s.(store.ExportStore)
	if !ok {
		t.Skip("backend does not implement store.ExportStore")
	}
	mustCompany(t, ctx, s, "c1", "ACME")
	mustCompany(t, ctx, s, "c2", "GLOBEX")
	hash := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

	t.Run("empty lists", func(t *testing.T) {
		toks, err := x.Tokens(ctx, "c1")
		if err != nil || toks == nil || len(toks) != 0 {
			t.Fatalf("Tokens of a company without any: %#v, %v", toks, err)
		}
		codes, err := x.ActivationCodes(ctx, "c1")
		if err != nil || codes == nil || len(codes) != 0 {
			t.Fatalf("ActivationCodes of a company without any: %#v, %v", codes, err)
		}
	})

	t.Run("tokens", func(t *testing.T) {
		// Created out of order, with a tie broken by hash.
		want := []store.Token{
			{Hash: hash(3), CompanyID: "c1", Name: "first", Created: t0},
			{Hash: hash(1), CompanyID: "c1", Name: "tie a", Created: t0.Add(time.Minute)},
			{Hash: hash(2), CompanyID: "c1", Name: "tie b", Created: t0.Add(time.Minute)},
		}
		for _, tok := range []store.Token{want[2], want[0], {Hash: hash(4), CompanyID: "c2", Name: "other", Created: t0}, want[1]} {
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		got, err := x.Tokens(ctx, "c1")
		if err != nil || !equalJSON(got, want) {
			t.Fatalf("Tokens:\n got %+v, %v\nwant %+v", got, err, want)
		}
	})

	t.Run("activation codes", func(t *testing.T) {
		want := []store.ActivationCode{
			{Hash: hash(11), CompanyID: "c1", Created: t0, Expires: t0.Add(time.Hour)},
			{Hash: hash(12), CompanyID: "c1", Created: t0.Add(time.Second), Expires: t0.Add(time.Hour)},
		}
		for _, c := range []store.ActivationCode{want[1], {Hash: hash(13), CompanyID: "c2", Created: t0, Expires: t0.Add(time.Hour)}, want[0]} {
			if err := s.CreateActivationCode(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		a := store.Agent{ID: "a-reg", CompanyID: "c1", Name: "reg", MachineHash: "mh", SecretHash: hash(9), Registered: t0}
		if err := s.RegisterAgent(ctx, hash(12), t0, a); err != nil {
			t.Fatal(err)
		}
		want[1].Used = true
		got, err := x.ActivationCodes(ctx, "c1")
		if err != nil || !equalJSON(got, want) {
			t.Fatalf("ActivationCodes:\n got %+v, %v\nwant %+v", got, err, want)
		}
	})

	t.Run("import agent", func(t *testing.T) {
		a := store.Agent{
			ID: "a-imp", CompanyID: "c2", Name: "imported", Version: "1.2.3", MachineHash: "ab12",
			SecretHash: hash(8), Registered: t0, LastSeen: t0.Add(time.Hour), UpdatesOff: true,
		}
		if err := x.ImportAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.Agent(ctx, "a-imp")
		if err != nil || !equalJSON(got, a) {
			t.Fatalf("Agent after import:\n got %+v, %v\nwant %+v", got, err, a)
		}
		list, err := s.Agents(ctx, "c2")
		if err != nil || len(list) != 1 || list[0].ID != "a-imp" {
			t.Fatalf("Agents after import: %+v, %v", list, err)
		}
		// Agent ids are unique across companies.
		dup := a
		dup.CompanyID = "c1"
		if err := x.ImportAgent(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("import of a taken id: %v, want conflict", err)
		}
		if got, err := s.Agent(ctx, "a-imp"); err != nil || got.CompanyID != "c2" {
			t.Fatalf("failed import moved the agent: %+v, %v", got, err)
		}
		if list, _ := s.Agents(ctx, "c1"); len(list) != 1 {
			t.Fatalf("failed import left an agent behind: %+v", list)
		}
		lost := a
		lost.ID, lost.CompanyID = "a-lost", "nope"
		if err := x.ImportAgent(ctx, lost); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("import into an unknown company: %v, want not found", err)
		}
		// No activation code was burnt or needed.
		if codes, _ := x.ActivationCodes(ctx, "c2"); len(codes) != 1 || codes[0].Used {
			t.Fatalf("import touched activation codes: %+v", codes)
		}
	})
}

// equalJSON compares records through their JSON form: a backend may hand
// times back in another location (an instant with a zero offset encodes
// the same) or a nil slice for an empty one that omitempty drops.
func equalJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
