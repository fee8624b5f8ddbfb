package docstore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 300_001} {
		doc := make([]byte, size)
		rand.Read(doc)
		key, n, err := s.Write("job-1", bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(size) {
			t.Fatalf("size %d, want %d", n, size)
		}
		raw, _ := os.ReadFile(filepath.Join(s.Dir(), "job-1.doc"))
		if size > 16 && bytes.Contains(raw, doc[:16]) {
			t.Fatal("plaintext found in the stored file")
		}
		r, err := s.Open("job-1", key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, doc) {
			t.Fatalf("size %d: read back %d bytes, err %v", size, len(got), err)
		}
	}
}

func TestTamperAndWrongKey(t *testing.T) {
	s, _ := Open(t.TempDir())
	doc := bytes.Repeat([]byte("%PDF-1.7 "), 20000)
	key, _, err := s.Write("j", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), "j.doc")
	raw, _ := os.ReadFile(path)

	cases := map[string]func() ([]byte, []byte){
		"wrong key": func() ([]byte, []byte) { k := make([]byte, KeySize); return raw, k },
		"flipped":   func() ([]byte, []byte) { b := bytes.Clone(raw); b[len(b)/2] ^= 1; return b, key },
		"truncated": func() ([]byte, []byte) { return raw[:len(raw)-100], key },
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			b, k := mk()
			os.WriteFile(path, b, 0o600)
			r, err := s.Open("j", k)
			if err == nil {
				_, err = io.ReadAll(r)
				r.Close()
			}
			if err == nil {
				t.Fatal("read succeeded on bad input")
			}
		})
	}
}

func TestBadIDsAndMissing(t *testing.T) {
	s, _ := Open(t.TempDir())
	for _, id := range []string{"", "../x", "a/b", "a.b"} {
		if _, _, err := s.Write(id, bytes.NewReader(nil)); err == nil {
			t.Errorf("Write(%q) accepted", id)
		}
	}
	if _, err := s.Open("nothere", make([]byte, KeySize)); err != ErrNotFound {
		t.Fatalf("Open missing: %v", err)
	}
	if err := s.Remove("nothere"); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFileThenSyncDir(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, n, err := s.WriteFile("j1", bytes.NewReader([]byte("hello")))
	if err != nil || n != 5 {
		t.Fatalf("WriteFile: %d, %v", n, err)
	}
	if err := s.SyncDir(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.WriteFile("j1", bytes.NewReader([]byte("again"))); err == nil {
		t.Fatal("WriteFile replaced a stored document")
	}
	r, err := s.Open("j1", key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := io.ReadAll(r); err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v", b, err)
	}
}

func TestSegments(t *testing.T) {
	dir := t.TempDir()
	segs, err := OpenSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var docs, keys, blobs [][]byte
	for i := range 5 {
		doc := bytes.Repeat([]byte{byte(i)}, 1000*(i+1))
		blob, key, err := Seal(doc)
		if err != nil {
			t.Fatal(err)
		}
		docs, keys, blobs = append(docs, doc), append(keys, key), append(blobs, blob)
	}
	var locs []Loc
	for _, b := range blobs {
		loc, seg, err := segs.Reserve(int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if err := seg.Write(loc, b); err != nil {
			t.Fatal(err)
		}
		if err := seg.Sync(); err != nil {
			t.Fatal(err)
		}
		locs = append(locs, loc)
	}
	for i, loc := range locs {
		r, err := segs.Open(loc, keys[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(b, docs[i]) {
			t.Fatalf("doc %d: %v", i, err)
		}
	}
	if err := segs.Verify(Loc{Seg: locs[4].Seg, Off: locs[4].Off, Len: locs[4].Len - 1}, keys[4]); err == nil {
		t.Error("a cut document verified")
	}
	// Reopen: only retained documents keep their segment.
	segs2, err := OpenSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := segs2.Sweep(); err != nil {
		t.Fatal(err)
	}
	if _, err := segs2.Open(locs[0], keys[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("segment not swept: %v", err)
	}
}

// Many writers at once, across segment rotations, each find their
// document whole; segments go when their last document does.
func TestSegmentsConcurrent(t *testing.T) {
	dir := t.TempDir()
	segs, err := OpenSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	segs.max = 20_000
	type stored struct {
		loc Loc
		key []byte
		doc []byte
	}
	var mu sync.Mutex
	var all []stored
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			doc := bytes.Repeat([]byte{byte(i)}, 3000+i)
			blob, key, err := Seal(doc)
			if err != nil {
				t.Error(err)
				return
			}
			loc, seg, err := segs.Reserve(int64(len(blob)))
			if err == nil {
				err = seg.Write(loc, blob)
			}
			if err == nil {
				err = seg.Sync()
			}
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			all = append(all, stored{loc, key, doc})
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, s := range all {
		r, err := segs.Open(s.loc, s.key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(b, s.doc) {
			t.Fatalf("document at %+v differs: %v", s.loc, err)
		}
	}
	for _, s := range all {
		if err := segs.Remove(s.loc); err != nil {
			t.Fatal(err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
	if len(left) > 1 {
		t.Errorf("%d segments left after removing every document, want at most the current one", len(left))
	}
}

// With segments attached, Open and Remove by id find a document there as
// they find one in a file of its own.
func TestStoreFindsSegmentDocuments(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	segs, err := OpenSegments(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	s.AttachSegments(segs)
	blob, key, err := Seal([]byte("small"))
	if err != nil {
		t.Fatal(err)
	}
	loc, seg, err := segs.Reserve(int64(len(blob)))
	if err != nil {
		t.Fatal(err)
	}
	if err := seg.Write(loc, blob); err != nil {
		t.Fatal(err)
	}
	s.IndexSegment("j1", loc)
	r, err := s.Open("j1", key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "small" {
		t.Fatalf("read %q", b)
	}
	if err := s.Remove("j1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("j1", key); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Remove: %v, want ErrNotFound", err)
	}
}
