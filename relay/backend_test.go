package relay

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/relay/store/bolt"
)

// documentsDir is where the embedded store keeps documents.
const documentsDir = bolt.DocumentsDir

// farFuture lists every document, however fresh.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// ageDocument makes the embedded store's document id look written age
// ago. Tests calling it skip on PostgreSQL (skipUnlessEmbedded).
func ageDocument(t *testing.T, dataDir, id string, age time.Duration) {
	t.Helper()
	old := time.Now().Add(-age)
	if err := os.Chtimes(filepath.Join(dataDir, documentsDir, id+".doc"), old, old); err != nil {
		t.Fatal(err)
	}
}

// storedDocuments lists every document r's store holds.
func storedDocuments(t *testing.T, r *testRelay) []string {
	t.Helper()
	ids, err := r.srv.store.DocumentIDs(t.Context(), farFuture)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
