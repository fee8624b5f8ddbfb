package docstore

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/minio/sio"
)

// KeySize is the length of a document key.
const KeySize = 32

// ErrNotFound is returned when no document is stored under an id.
var ErrNotFound = errors.New("docstore: document not found")

// Store is a directory of encrypted documents.
type Store struct {
	dir string

	// Small documents may live in segments (segments.go) instead of files
	// of their own; Open and Remove by id find them there too.
	segMu  sync.Mutex
	segs   *Segments
	segLoc map[string]Loc
}

// AttachSegments makes Open and Remove look in segs for the ids
// IndexSegment names.
func (s *Store) AttachSegments(segs *Segments) {
	s.segMu.Lock()
	defer s.segMu.Unlock()
	s.segs, s.segLoc = segs, map[string]Loc{}
}

// IndexSegment records that the document id is at loc in the attached
// segments.
func (s *Store) IndexSegment(id string, loc Loc) {
	s.segMu.Lock()
	defer s.segMu.Unlock()
	if s.segLoc != nil {
		s.segLoc[id] = loc
	}
}

func (s *Store) segment(id string, forget bool) (Loc, bool) {
	s.segMu.Lock()
	defer s.segMu.Unlock()
	loc, ok := s.segLoc[id]
	if ok && forget {
		delete(s.segLoc, id)
	}
	return loc, ok
}

// Open returns the store in dir, creating it (mode 0700) if needed, and
// removes partial files left by a crash.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("docstore: %w", err)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	for _, t := range tmps {
		_ = os.Remove(t)
	}
	return &Store{dir: dir}, nil
}

// Dir is the directory the store keeps its files in.
func (s *Store) Dir() string { return s.dir }

// Write stores the document read from r under id with a new random key and
// returns the key and the plaintext size. A document already stored under
// id is replaced atomically. It returns after fsync of the file and of the
// directory.
func (s *Store) Write(id string, r io.Reader) (key []byte, size int64, err error) {
	path, err := s.path(id)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.CreateTemp(s.dir, id+".*.tmp")
	if err != nil {
		return nil, 0, fmt.Errorf("docstore: %w", err)
	}
	tmp := f.Name()
	if key, size, err = encryptTo(f, id, r); err != nil {
		os.Remove(tmp)
		return nil, 0, err
	}
	if err = os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, 0, fmt.Errorf("docstore: %w", err)
	}
	if err = syncDir(s.dir); err != nil {
		return nil, 0, err
	}
	return key, size, nil
}

// SyncDir makes the names of the files written by WriteFile durable. One
// call covers every WriteFile that returned before it started: callers
// writing many documents at once share it (group commit).
func (s *Store) SyncDir() error { return syncDir(s.dir) }

// WriteFile stores a new document under id like Write, for callers that
// batch their durability: the file is created in place (an id already
// stored is an error), its bytes are on disk when WriteFile returns, its
// name only after the next SyncDir. There is no temporary name and rename:
// the file is nobody's until a record names it (a crash leaves an orphan
// for the owner to sweep), and a rename would take the directory's lock
// once more per document, which concurrent writers contend for.
func (s *Store) WriteFile(id string, r io.Reader) (key []byte, size int64, err error) {
	path, err := s.path(id)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("docstore: %w", err)
	}
	if key, size, err = encryptTo(f, id, r); err != nil {
		os.Remove(path)
		return nil, 0, err
	}
	return key, size, nil
}

// encryptTo encrypts r into f with a new key, fsyncs and closes f.
func encryptTo(f *os.File, id string, r io.Reader) (key []byte, size int64, err error) {
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("docstore: %w", cerr)
		}
	}()
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, 0, fmt.Errorf("docstore: key: %w", err)
	}
	enc, err := sio.EncryptWriter(noCloser{f}, config(key))
	if err != nil {
		return nil, 0, fmt.Errorf("docstore: %w", err)
	}
	if size, err = io.Copy(enc, r); err != nil {
		return nil, 0, fmt.Errorf("docstore: write %s: %w", id, err)
	}
	if err = enc.Close(); err != nil {
		return nil, 0, fmt.Errorf("docstore: write %s: %w", id, err)
	}
	if err = syncFile(f); err != nil {
		return nil, 0, err
	}
	return key, size, nil
}

// Open returns the plaintext of the document stored under id. Reading
// returns an error if the file was altered or cut short.
func (s *Store) Open(id string, key []byte) (io.ReadCloser, error) {
	if loc, ok := s.segment(id, false); ok {
		return s.segs.Open(loc, key)
	}
	path, err := s.path(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("docstore: %w", err)
	}
	if info, err := f.Stat(); err == nil && info.Size() == 0 {
		// sio writes nothing for an empty document.
		return readCloser{eofReader{}, f}, nil
	}
	dec, err := sio.DecryptReader(f, config(key))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("docstore: %w", err)
	}
	return readCloser{dec, f}, nil
}

// Remove deletes the document stored under id; a missing one is not an error.
func (s *Store) Remove(id string) error {
	if loc, ok := s.segment(id, true); ok {
		return s.segs.Remove(loc)
	}
	path, err := s.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("docstore: %w", err)
	}
	return nil
}

// IDs lists the ids of the stored documents, for sweeping orphans.
func (s *Store) IDs() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("docstore: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".doc"); ok {
			ids = append(ids, name)
		}
	}
	return ids, nil
}

func (s *Store) path(id string) (string, error) {
	if !validID(id) {
		return "", fmt.Errorf("docstore: invalid document id %q", id)
	}
	return filepath.Join(s.dir, id+".doc"), nil
}

// validID keeps ids to a safe file-name alphabet, so no id reaches outside dir.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func config(key []byte) sio.Config {
	return sio.Config{Key: key, MinVersion: sio.Version20, MaxVersion: sio.Version20}
}

// noCloser keeps sio's Close from closing the file before its fsync.
type noCloser struct{ io.Writer }

func (noCloser) Close() error { return nil }

func syncFile(f *os.File) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("docstore: fsync: %w", err)
	}
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
