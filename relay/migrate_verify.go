package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// verify reads everything back from both stores and compares it: every
// kind's records per company, and every copied document's SHA-256.
func (m *migration) verify(ctx context.Context) error {
	fmt.Fprintln(m.out, "verifying")
	src, dst := m.src, m.dst
	if err := sameRecords("companies", func(s store.Store) ([]store.Company, error) { return s.Companies(ctx) }, src, dst); err != nil {
		return err
	}
	for _, c := range m.companies {
		id := c.ID
		checks := []func() error{
			func() error {
				return sameRecords("sites", func(s store.Store) ([]store.Site, error) { return s.Sites(ctx, id) }, src, dst)
			},
			func() error {
				return sameRecords("users", func(s store.Store) ([]store.User, error) { return s.Users(ctx, id) }, src, dst)
			},
			func() error {
				return sameRecords("tokens", func(s store.Store) ([]store.Token, error) { return s.Tokens(ctx, id) }, src, dst)
			},
			func() error {
				return sameRecords("activation codes", func(s store.Store) ([]store.ActivationCode, error) { return s.ActivationCodes(ctx, id) }, src, dst)
			},
			func() error {
				return sameRecords("agents", func(s store.Store) ([]store.Agent, error) { return s.Agents(ctx, id) }, src, dst)
			},
			func() error {
				return sameRecords("printers", func(s store.Store) ([]store.Printer, error) { return s.Printers(ctx, id) }, src, dst)
			},
			func() error {
				return sameRecords("readers", func(s store.Store) ([]store.Reader, error) { return s.Readers(ctx, id) }, src, dst)
			},
			func() error {
				return sameRecords("audit events", func(s store.Store) ([]store.AuditEvent, error) { return s.Events(ctx, id, store.EventFilter{}) }, src, dst)
			},
			func() error {
				return sameRecords("unknown cards", func(s store.Store) ([]store.UnknownCard, error) { return m.unknownCards(ctx, s, id) }, src, dst)
			},
			func() error { return m.verifyJobs(ctx, id) },
		}
		for _, check := range checks {
			if err := check(); err != nil {
				return fmt.Errorf("company %s: %w", c.Code, err)
			}
		}
	}
	return nil
}

// unknownCards lists a company's unknown cards, reader by reader of the
// source (readers are copied first and compared separately).
func (m *migration) unknownCards(ctx context.Context, s store.Store, companyID string) ([]store.UnknownCard, error) {
	readers, err := m.src.Readers(ctx, companyID)
	if err != nil {
		return nil, err
	}
	var out []store.UnknownCard
	for _, r := range readers {
		cards, err := s.UnknownCards(ctx, companyID, r.ID, time.Time{})
		if err != nil {
			return nil, err
		}
		out = append(out, cards...)
	}
	return out, nil
}

// verifyJobs compares the jobs (all but the wrapped key, which is new) and
// reads every copied document back from the target.
func (m *migration) verifyJobs(ctx context.Context, companyID string) error {
	list := func(s store.Store) ([]store.Job, error) {
		jobs, err := s.Jobs(ctx, companyID, store.JobFilter{})
		for i := range jobs {
			if _, copied := m.docSums[jobs[i].CompanyID+"/"+jobs[i].ID]; !copied && s == m.src && jobs[i].HasDocument() {
				jobs[i].DocID = "" // the source had lost it already: copied without
			}
			jobs[i].WrappedKey = nil
		}
		return jobs, err
	}
	if err := sameRecords("jobs", list, m.src, m.dst); err != nil {
		return err
	}
	jobs, err := m.dst.Jobs(ctx, companyID, store.JobFilter{WithDocument: true})
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if err := m.verifyDocument(ctx, j); err != nil {
			return fmt.Errorf("job %s: %w", j.ID, err)
		}
	}
	return nil
}

func (m *migration) verifyDocument(ctx context.Context, j store.Job) error {
	want, ok := m.docSums[j.CompanyID+"/"+j.ID]
	if !ok {
		return fmt.Errorf("the target holds document %s that was not copied", j.DocID)
	}
	key, err := m.keys.unwrap(j.WrappedKey, j.CompanyID, j.ID)
	if err != nil {
		return err
	}
	defer clear(key)
	rc, err := m.dst.OpenDocument(ctx, j.DocID, key)
	if err != nil {
		return fmt.Errorf("read document %s back: %w", j.DocID, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("read document %s back: %w", j.DocID, err)
	}
	if n != j.Size || [sha256.Size]byte(h.Sum(nil)) != want {
		return fmt.Errorf("document %s differs: %d bytes read back of %d, or another SHA-256", j.DocID, n, j.Size)
	}
	return nil
}

// sameRecords compares what list returns from the source and the target:
// the same number, and the same records in the same order.
func sameRecords[T any](kind string, list func(store.Store) ([]T, error), src, dst store.Store) error {
	a, err := list(src)
	if err != nil {
		return fmt.Errorf("%s: read the source: %w", kind, err)
	}
	b, err := list(dst)
	if err != nil {
		return fmt.Errorf("%s: read the target: %w", kind, err)
	}
	if len(a) != len(b) {
		return fmt.Errorf("%s: %d in the source, %d in the target", kind, len(a), len(b))
	}
	ca, cb := canonicalAll(a), canonicalAll(b)
	for i := range ca {
		if !bytes.Equal(ca[i], cb[i]) {
			// Records hold password and secret hashes: name the position only.
			return fmt.Errorf("%s: record %d of %d differs between the source and the target", kind, i+1, len(a))
		}
	}
	return nil
}

// canonicalAll encodes records in a form two backends agree on when they
// hold the same data, sorted so that the order of ties does not matter.
func canonicalAll[T any](recs []T) [][]byte {
	out := make([][]byte, len(recs))
	for i, r := range recs {
		out[i] = canonical(r)
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}

// canonical is v's JSON with zero values dropped (absent and zero decode
// alike) and times in UTC to the microsecond, PostgreSQL's precision.
func canonical(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		return []byte(err.Error())
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return []byte(err.Error())
	}
	raw, _ = json.Marshal(normalizeJSON(tree))
	return raw
}

func normalizeJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = normalizeJSON(e); isZeroJSON(e) {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
		}
	}
	return v
}

func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		return x == "0"
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}
