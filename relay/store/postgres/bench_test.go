package postgres

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/internal/pgtest"
	"github.com/edgeprint/edgeprint/relay/store"
)

// BenchmarkDocument writes and reads back an 8 MiB document.
func BenchmarkDocument(b *testing.B) {
	db := open(b, pgtest.NewDatabase(b))
	doc := make([]byte, 8<<20)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprint("d", i)
		key, _, err := db.WriteDocument(b.Context(), id, bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		rc, err := db.OpenDocument(b.Context(), id, key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
		db.RemoveDocument(b.Context(), id)
	}
}

// BenchmarkLimit spends from many buckets, as sign-in checks do.
func BenchmarkLimit(b *testing.B) {
	db := open(b, pgtest.NewDatabase(b))
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		if _, err := db.Limit(b.Context(), fmt.Sprint("login:", i%1000), time.Minute, 10, true, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend measures a small message from one replica to another,
// sent to delivered.
func BenchmarkSend(b *testing.B) {
	url := pgtest.NewDatabase(b)
	a, c := open(b, url), open(b, url)
	got := make(chan store.Message, 1)
	if err := c.Listen(b.Context(), func(m store.Message) { got <- m }); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 512)
	for b.Loop() {
		if err := a.Send(b.Context(), c.ReplicaID(), payload); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}
