package docstore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/minio/sio"
)

// SegmentSize is the size past which a new segment file is started.
const SegmentSize = 64 << 20

// Loc is where a document lives in the segments.
type Loc struct {
	Seg uint64 `json:"seg"`
	Off int64  `json:"off"`
	Len int64  `json:"len"`
}

// Segments keeps small documents, each encrypted with its own key,
// appended to shared segment files (seg-N.log). A group commit appends
// every document of its batch in one write and makes them durable with one
// fdatasync, where separate files need one new-file fsync (a journal
// commit) each. A segment is deleted when its last document is.
type Segments struct {
	dir string

	mu      sync.Mutex
	cur     *os.File
	curID   uint64
	curSize int64
	next    uint64
	live    map[uint64]int
	open    map[uint64]*Segment
	max     int64 // SegmentSize; tests make it small
}

// OpenSegments opens the segments in dir (the Store's directory). The
// caller then Retains every document it still has and calls Sweep.
func OpenSegments(dir string) (*Segments, error) {
	s := &Segments{dir: dir, live: map[uint64]int{}, open: map[uint64]*Segment{}, next: 1, max: SegmentSize}
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		s.next = max(s.next, id+1)
	}
	return s, nil
}

func (s *Segments) path(id uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("seg-%016x.log", id))
}

func (s *Segments) ids() ([]uint64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("docstore: %w", err)
	}
	var ids []uint64
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "seg-")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, ".log")
		if id, err := strconv.ParseUint(name, 16, 64); ok && err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Seal encrypts a whole (small) document with a new key.
func Seal(doc []byte) (blob, key []byte, err error) {
	return SealTo(nil, doc)
}

// SealTo is Seal writing the blob into dst's space when it is big
// enough, so callers can reuse one buffer per document.
func SealTo(dst, doc []byte) (blob, key []byte, err error) {
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, fmt.Errorf("docstore: key: %w", err)
	}
	if len(doc) == 0 {
		return nil, key, nil
	}
	// Sized up front: one allocation, where growing a buffer copies and
	// clears the document several times (GC work on every print job).
	size, err := sio.EncryptedSize(uint64(len(doc)))
	if err != nil {
		return nil, nil, fmt.Errorf("docstore: %w", err)
	}
	enc, err := sio.EncryptReader(bytes.NewReader(doc), config(key))
	if err != nil {
		return nil, nil, fmt.Errorf("docstore: %w", err)
	}
	if uint64(cap(dst)) >= size {
		blob = dst[:size]
	} else {
		blob = make([]byte, size)
	}
	if _, err := io.ReadFull(enc, blob); err != nil {
		return nil, nil, fmt.Errorf("docstore: %w", err)
	}
	return blob, key, nil
}

// Segment is an open segment file that documents are written into.
type Segment struct {
	id uint64
	f  *os.File
}

// Write puts a blob reserved with Reserve in place. Writers of one batch
// write in parallel; the blob is durable only after Sync of its segment.
func (g *Segment) Write(loc Loc, blob []byte) error {
	if _, err := g.f.WriteAt(blob, loc.Off); err != nil {
		return fmt.Errorf("docstore: write segment: %w", err)
	}
	return nil
}

// Sync makes what was written to the segment durable (fdatasync).
func (g *Segment) Sync() error {
	if err := dataSync(g.f); err != nil {
		return fmt.Errorf("docstore: fsync segment: %w", err)
	}
	return nil
}

// Reserve sets aside n bytes at the end of the current segment, starting
// a new one (its name made durable at once) when the current one is full,
// and counts the document as live.
func (s *Segments) Reserve(n int64) (Loc, *Segment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || (s.curSize > 0 && s.curSize+n > s.max) {
		if err := s.rotateLocked(); err != nil {
			return Loc{}, nil, err
		}
	}
	loc := Loc{Seg: s.curID, Off: s.curSize, Len: n}
	s.curSize += n
	s.live[s.curID]++
	return loc, s.open[s.curID], nil
}

func (s *Segments) rotateLocked() error {
	if s.cur != nil && s.live[s.curID] == 0 {
		s.closeLocked(s.curID)
		os.Remove(s.path(s.curID))
	}
	id := s.next
	f, err := os.OpenFile(s.path(id), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("docstore: new segment: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		os.Remove(s.path(id))
		return err
	}
	s.open[id] = &Segment{id: id, f: f}
	s.cur, s.curID, s.curSize, s.next = f, id, 0, id+1
	return nil
}

// closeLocked closes a segment nobody writes to any more. Old segments
// stay open while they hold live documents: a writer may still be
// putting its blob in place.
func (s *Segments) closeLocked(id uint64) {
	if g := s.open[id]; g != nil {
		g.f.Close()
		delete(s.open, id)
	}
	if id == s.curID {
		s.cur = nil
	}
}

// Open returns the plaintext of the document at loc.
func (s *Segments) Open(loc Loc, key []byte) (io.ReadCloser, error) {
	if loc.Len == 0 {
		return io.NopCloser(eofReader{}), nil
	}
	f, err := os.Open(s.path(loc.Seg))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("docstore: %w", err)
	}
	dec, err := sio.DecryptReader(io.NewSectionReader(f, loc.Off, loc.Len), config(key))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("docstore: %w", err)
	}
	return readCloser{dec, f}, nil
}

// Verify reads the document at loc whole, checking that it is all there
// and authentic (after a crash, a record may outlive its bytes).
func (s *Segments) Verify(loc Loc, key []byte) error {
	r, err := s.Open(loc, key)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}

// Retain counts a document that is still wanted (at start, from records).
func (s *Segments) Retain(loc Loc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[loc.Seg]++
}

// Remove forgets the document at loc; its segment goes with its last one.
func (s *Segments) Remove(loc Loc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live[loc.Seg] > 0 {
		s.live[loc.Seg]--
	}
	if s.live[loc.Seg] == 0 && (s.cur == nil || loc.Seg != s.curID) {
		delete(s.live, loc.Seg)
		s.closeLocked(loc.Seg)
		if err := os.Remove(s.path(loc.Seg)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("docstore: %w", err)
		}
	}
	return nil
}

// Sweep deletes the segments no retained document is in.
func (s *Segments) Sweep() error {
	ids, err := s.ids()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if s.live[id] == 0 && (s.cur == nil || id != s.curID) {
			if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("docstore: %w", err)
			}
		}
	}
	return nil
}

// DataSync is fdatasync (FlushFileBuffers on Windows), for logs kept
// beside the documents.
func DataSync(f *os.File) error { return dataSync(f) }

// SyncDirOf makes the names in dir durable.
func SyncDirOf(dir string) error { return syncDir(dir) }
