package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/sio"

	"github.com/edgeprint/edgeprint/relay/store"
)

const (
	// chunkSize is the ciphertext one document_chunks row holds: big
	// enough that a document is few rows and queries, small enough that a
	// reader or writer holds little (PostgreSQL itself allows 1 GB).
	chunkSize = 1 << 20
	keySize   = 32
)

// sioConfig is the DARE 2.0 format of package docstore, AES-256-GCM.
func sioConfig(key []byte) sio.Config {
	return sio.Config{Key: key, MinVersion: sio.Version20, MaxVersion: sio.Version20, CipherSuites: []byte{sio.AES_256_GCM}}
}

// WriteDocument encrypts r's bytes with a new key into chunk rows, as they
// stream in, in one transaction: the document exists (durably) once it
// commits, and a failure leaves nothing. A document already stored under
// id is replaced.
func (d *DB) WriteDocument(ctx context.Context, id string, r io.Reader) (key []byte, size int64, err error) {
	if err := checkKeys(id); err != nil {
		return nil, 0, err
	}
	select {
	case d.writeSlots <- struct{}{}:
		defer func() { <-d.writeSlots }()
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	key = make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, 0, fmt.Errorf("store: document key: %w", err)
	}
	err = d.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM documents WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO documents (id, stored_ns, size, chunks) VALUES ($1, $2, 0, 0)`, id, ns(time.Now())); err != nil {
			return err
		}
		cw := &chunkWriter{ctx: ctx, tx: tx, id: id, buf: make([]byte, 0, chunkSize)}
		enc, err := sio.EncryptWriter(cw, sioConfig(key))
		if err != nil {
			return err
		}
		if size, err = io.Copy(enc, r); err != nil {
			return fmt.Errorf("store: write document %s: %w", id, err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("store: write document %s: %w", id, err)
		}
		if err := cw.flush(); err != nil {
			return err
		}
		// Stored counts from the end of the write, so the orphan sweep's
		// cut-off never catches a document that was slow to arrive.
		_, err = tx.Exec(ctx, `UPDATE documents SET stored_ns = $2, size = $3, chunks = $4 WHERE id = $1`,
			id, ns(time.Now()), size, cw.seq)
		return err
	})
	if err != nil {
		return nil, 0, mapErr(err, nil)
	}
	return key, size, nil
}

// chunkWriter cuts the ciphertext into chunkSize rows.
type chunkWriter struct {
	ctx context.Context
	tx  pgx.Tx
	id  string
	buf []byte
	seq int32
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), chunkSize-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(w.buf) == chunkSize {
			if err := w.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.tx.Exec(w.ctx, `INSERT INTO document_chunks (document_id, seq, data) VALUES ($1, $2, $3)`,
		w.id, w.seq, w.buf); err != nil {
		return fmt.Errorf("store: write document %s: %w", w.id, err)
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// OpenDocument streams the plaintext of document id, fetching one chunk
// at a time. A chunk altered, missing or from another document is a
// read error.
func (d *DB) OpenDocument(ctx context.Context, id string, key []byte) (io.ReadCloser, error) {
	if !validKey(id) {
		return nil, store.ErrNotFound
	}
	var size int64
	var chunks int32
	err := d.pool.QueryRow(ctx, `SELECT size, chunks FROM documents WHERE id = $1`, id).Scan(&size, &chunks)
	if err != nil {
		return nil, mapErr(err, nil)
	}
	if chunks == 0 {
		if size != 0 {
			return nil, fmt.Errorf("store: document %s has lost its content", id)
		}
		return io.NopCloser(eofReader{}), nil // sio writes nothing for an empty document
	}
	cr := &chunkReader{ctx: ctx, d: d, id: id, chunks: chunks}
	dec, err := sio.DecryptReader(cr, sioConfig(key))
	if err != nil {
		return nil, fmt.Errorf("store: open document %s: %w", id, err)
	}
	return io.NopCloser(&readErrors{r: dec, id: id}), nil
}

// chunkReader reads the ciphertext of a document, one query per chunk.
type chunkReader struct {
	ctx    context.Context
	d      *DB
	id     string
	chunks int32
	seq    int32
	cur    []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.seq == r.chunks {
			return 0, io.EOF
		}
		err := r.d.pool.QueryRow(r.ctx, `SELECT data FROM document_chunks WHERE document_id = $1 AND seq = $2`,
			r.id, r.seq).Scan(&r.cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("store: document %s: chunk %d is missing: %w", r.id, r.seq, io.ErrUnexpectedEOF)
		} else if err != nil {
			return 0, fmt.Errorf("store: read document %s: %w", r.id, err)
		}
		r.seq++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// readErrors names the document in a decryption error.
type readErrors struct {
	r  io.Reader
	id string
}

func (r *readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("store: read document %s: %w", r.id, err)
	}
	return n, err
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// RemoveDocument deletes document id and its chunks.
func (d *DB) RemoveDocument(ctx context.Context, id string) error {
	if !validKey(id) {
		return nil
	}
	_, err := d.pool.Exec(ctx, `DELETE FROM documents WHERE id = $1`, id)
	return mapErr(err, nil)
}

// DocumentIDs lists the documents stored before before.
func (d *DB) DocumentIDs(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := d.pool.Query(ctx, `SELECT id FROM documents WHERE stored_ns < $1 ORDER BY id`, ns(before))
	if err != nil {
		return nil, mapErr(err, nil)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, mapErr(err, nil)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}
