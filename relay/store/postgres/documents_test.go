package postgres

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/edgeprint/edgeprint/internal/pgtest"
	"github.com/edgeprint/edgeprint/relay/store"
)

// TestDocumentTampering: any change to the stored chunks is a read error,
// never different plaintext.
func TestDocumentTampering(t *testing.T) {
	db := open(t, pgtest.NewDatabase(t))
	ctx := t.Context()
	plain := make([]byte, 2*chunkSize+chunkSize/2) // three chunks
	rand.Read(plain)
	tests := []struct {
		name string
		sql  string // $1 is the document id
	}{
		{"flipped bit", `UPDATE document_chunks SET data = set_byte(data, 1000, get_byte(data, 1000) # 1) WHERE document_id = $1 AND seq = 1`},
		{"last chunk gone", `DELETE FROM document_chunks WHERE document_id = $1 AND seq = 2`},
		{"chunk count cut", `UPDATE documents SET chunks = 2 WHERE id = $1`},
		{"chunk cut short", `UPDATE document_chunks SET data = substr(data, 1, 70000) WHERE document_id = $1 AND seq = 2`},
		{"chunks swapped", `UPDATE document_chunks c SET data = o.data FROM document_chunks o
			WHERE c.document_id = $1 AND o.document_id = $1 AND c.seq + o.seq = 1 AND c.seq <> o.seq`},
		{"chunk of another document", `UPDATE document_chunks SET data = (SELECT data FROM document_chunks WHERE document_id = 'other' AND seq = 1)
			WHERE document_id = $1 AND seq = 1`},
	}
	otherKey, _, err := db.WriteDocument(ctx, "other", bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, _, err := db.WriteDocument(ctx, "doc", bytes.NewReader(plain))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.pool.Exec(ctx, tc.sql, "doc"); err != nil {
				t.Fatal(err)
			}
			rc, err := db.OpenDocument(ctx, "doc", key)
			if err != nil {
				return // refusing to open is fine too
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil {
				t.Fatalf("read %d bytes of a tampered document without an error (same as written: %v)", len(got), bytes.Equal(got, plain))
			}
			if !bytes.Equal(got, plain[:len(got)]) {
				t.Fatal("tampered document read back altered plaintext")
			}
		})
	}
	if err := db.RemoveDocument(ctx, "doc"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM document_chunks WHERE document_id = 'doc'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("RemoveDocument left %d chunks, %v", n, err)
	}
	if _, err := db.OpenDocument(ctx, "doc", otherKey); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removed: %v", err)
	}
}

// TestDocumentReplace: writing an id again replaces the document whole.
func TestDocumentReplace(t *testing.T) {
	db := open(t, pgtest.NewDatabase(t))
	ctx := t.Context()
	if _, _, err := db.WriteDocument(ctx, "d", bytes.NewReader(make([]byte, 3*chunkSize))); err != nil {
		t.Fatal(err)
	}
	key, _, err := db.WriteDocument(ctx, "d", bytes.NewReader([]byte("short")))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := db.OpenDocument(ctx, "d", key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || string(got) != "short" {
		t.Fatalf("replaced document: %q, %v", got, err)
	}
}
