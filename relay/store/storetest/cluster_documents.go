package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// docBytes is a reproducible stream of n incompressible bytes.
func docBytes(seed byte, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

func digest(t *testing.T, r io.Reader) ([32]byte, int64, error) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	return [32]byte(h.Sum(nil)), n, err
}

// failingReader returns n good bytes, then err.
func failingReader(n int64, err error) io.Reader {
	return io.MultiReader(docBytes(9, n), errReader{err})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// testDocuments: documents round-trip through streams, need their key,
// can be removed, and a failed write leaves nothing.
func testDocuments(t *testing.T, ctx context.Context, s store.Store) {
	ds := need[store.DocumentStore](t, s)
	const big = 5<<20 + 12345 // several chunks and a partial one in any sensible layout
	sizes := map[string]int64{"big": big, "empty": 0, "small": 100}
	keys := map[string][]byte{}
	before := time.Now().Add(-time.Minute)
	for id, n := range sizes {
		key, size, err := ds.WriteDocument(ctx, id, docBytes(1, n))
		if err != nil || size != n || len(key) == 0 {
			t.Fatalf("WriteDocument(%s) = %d-byte key, size %d, %v; want size %d", id, len(key), size, err, n)
		}
		keys[id] = key
	}
	if bytes.Equal(keys["big"], keys["small"]) {
		t.Fatal("two documents share a key")
	}
	for id, n := range sizes {
		checkDocument(t, ctx, ds, id, keys[id], 1, n)
	}

	// The wrong key reads nothing.
	if rc, err := ds.OpenDocument(ctx, "small", keys["big"]); err == nil {
		_, _, err = digest(t, rc)
		rc.Close()
		if err == nil {
			t.Fatal("document read with another document's key")
		}
	}
	if _, err := ds.OpenDocument(ctx, "nope", keys["big"]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown document: %v, want ErrNotFound", err)
	}

	// A reader error partway (after more than a chunk) is returned and
	// leaves no document.
	boom := errors.New("boom: client went away")
	if _, _, err := ds.WriteDocument(ctx, "failed", failingReader(3<<20, boom)); !errors.Is(err, boom) {
		t.Fatalf("WriteDocument with a failing reader: %v, want it wrapped", err)
	}
	if _, err := ds.OpenDocument(ctx, "failed", keys["big"]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed document: %v, want ErrNotFound", err)
	}

	ids, err := ds.DocumentIDs(ctx, time.Now().Add(time.Minute))
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"big", "empty", "small"}) {
		t.Fatalf("DocumentIDs = %v, %v; want big empty small", ids, err)
	}
	if ids, err := ds.DocumentIDs(ctx, before); err != nil || len(ids) != 0 {
		t.Fatalf("DocumentIDs before the writes = %v, %v; want none", ids, err)
	}

	if err := ds.RemoveDocument(ctx, "big"); err != nil {
		t.Fatalf("RemoveDocument: %v", err)
	}
	if _, err := ds.OpenDocument(ctx, "big", keys["big"]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removed document: %v, want ErrNotFound", err)
	}
	if err := ds.RemoveDocument(ctx, "big"); err != nil {
		t.Fatalf("RemoveDocument of an unknown id: %v", err)
	}
	checkDocument(t, ctx, ds, "small", keys["small"], 1, 100)
}

// checkDocument reads document id and compares it with docBytes(seed, n).
func checkDocument(t *testing.T, ctx context.Context, ds store.DocumentStore, id string, key []byte, seed byte, n int64) {
	t.Helper()
	rc, err := ds.OpenDocument(ctx, id, key)
	if err != nil {
		t.Fatalf("OpenDocument(%s): %v", id, err)
	}
	defer rc.Close()
	got, gotN, err := digest(t, rc)
	want, _, _ := digest(t, docBytes(seed, n))
	if err != nil || gotN != n || got != want {
		t.Fatalf("document %s read back %d bytes (%v), want %d; same content: %v", id, gotN, err, n, got == want)
	}
}
