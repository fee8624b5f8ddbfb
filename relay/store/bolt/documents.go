package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/docstore"
	"github.com/edgeprint/edgeprint/relay/store"
)

// DocumentsDir is where the documents live, beside the store file.
const DocumentsDir = "documents"

// WriteDocument encrypts r into a file of its own (package docstore).
func (d *DB) WriteDocument(ctx context.Context, id string, r io.Reader) ([]byte, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	return d.docs.Write(id, r)
}

// OpenDocument streams the plaintext of document id.
func (d *DB) OpenDocument(ctx context.Context, id string, key []byte) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := d.docs.Open(id, key)
	if errors.Is(err, docstore.ErrNotFound) {
		return nil, store.ErrNotFound
	}
	return rc, err
}

// RemoveDocument deletes document id.
func (d *DB) RemoveDocument(ctx context.Context, id string) error {
	return d.docs.Remove(id)
}

// DocumentIDs lists the documents whose file was last written before
// before.
func (d *DB) DocumentIDs(ctx context.Context, before time.Time) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(d.docs.Dir())
	if err != nil {
		return nil, fmt.Errorf("store: documents: %w", err)
	}
	ids := []string{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".doc")
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if info.ModTime().Before(before) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
