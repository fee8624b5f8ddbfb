package relay

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/edgeprint/edgeprint/relay/store"
)

// migration is one run of Migrate: what it copied, to verify afterwards.
type migration struct {
	src  store.Store
	dst  store.Store
	keys *keyWrapper
	out  io.Writer

	counts    map[string]int
	docBytes  int64
	docSums   map[string][sha256.Size]byte // by company/job id
	missing   []string                     // company/job of documents the source had lost already
	companies []store.Company
}

// Kinds, in the order they are copied (each may name the ones before).
var migrateKinds = []string{"companies", "sites", "users", "tokens", "activation codes", "agents",
	"printers", "readers", "jobs", "documents", "audit events", "unknown cards"}

// checkEmpty refuses a target that holds any company.
func (m *migration) checkEmpty(ctx context.Context) error {
	have, err := m.dst.Companies(ctx)
	if err != nil {
		return fmt.Errorf("read the target: %w", err)
	}
	if len(have) > 0 {
		return fmt.Errorf("the target database already holds %d companies: migrate only into an empty database", len(have))
	}
	return nil
}

func (m *migration) copyAll(ctx context.Context) error {
	m.counts, m.docSums = map[string]int{}, map[string][sha256.Size]byte{}
	companies, err := m.src.Companies(ctx)
	if err != nil {
		return fmt.Errorf("read companies: %w", err)
	}
	slices.SortFunc(companies, func(a, b store.Company) int { return strings.Compare(a.Code, b.Code) })
	m.companies = companies
	for _, c := range companies {
		if err := m.copyCompany(ctx, c); err != nil {
			return fmt.Errorf("company %s: %w", c.Code, err)
		}
	}
	return nil
}

// copyCompany copies one company, kind after kind, and prints a line per kind.
func (m *migration) copyCompany(ctx context.Context, c store.Company) error {
	if err := m.dst.CreateCompany(ctx, c); err != nil {
		return fmt.Errorf("copy the company: %w", err)
	}
	m.counts["companies"]++
	fmt.Fprintf(m.out, "company %s (%s)\n", c.Code, c.Name)
	steps := []struct {
		kind string
		fn   func(context.Context, string) (int, error)
	}{
		{"sites", m.copySites},
		{"users", m.copyUsers},
		{"tokens", m.copyTokens},
		{"activation codes", m.copyCodes},
		{"agents", m.copyAgents},
		{"printers", m.copyPrinters},
		{"readers", m.copyReaders},
		{"jobs", m.copyJobs},
		{"audit events", m.copyEvents},
		{"unknown cards", m.copyUnknownCards},
	}
	docs, docBytes := m.counts["documents"], m.docBytes
	for _, st := range steps {
		n, err := st.fn(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("copy %s: %w", st.kind, err)
		}
		m.counts[st.kind] += n
		fmt.Fprintf(m.out, "  %-16s %d\n", st.kind, n)
		if st.kind == "jobs" {
			fmt.Fprintf(m.out, "  %-16s %d (%s)\n", "documents", m.counts["documents"]-docs, byteCount(m.docBytes-docBytes))
		}
	}
	return nil
}

// copyEach copies every record list returns with create.
func copyEach[T any](ctx context.Context, list func() ([]T, error), create func(context.Context, T) error) (int, error) {
	recs, err := list()
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		if err := create(ctx, r); err != nil {
			return 0, err
		}
	}
	return len(recs), nil
}

func (m *migration) copySites(ctx context.Context, id string) (int, error) {
	return copyEach(ctx, func() ([]store.Site, error) { return m.src.Sites(ctx, id) }, m.dst.CreateSite)
}

func (m *migration) copyUsers(ctx context.Context, id string) (int, error) {
	return copyEach(ctx, func() ([]store.User, error) { return m.src.Users(ctx, id) }, m.dst.CreateUser)
}

func (m *migration) copyTokens(ctx context.Context, id string) (int, error) {
	return copyEach(ctx, func() ([]store.Token, error) { return m.src.Tokens(ctx, id) }, m.dst.CreateToken)
}

func (m *migration) copyCodes(ctx context.Context, id string) (int, error) {
	return copyEach(ctx, func() ([]store.ActivationCode, error) { return m.src.ActivationCodes(ctx, id) }, m.dst.CreateActivationCode)
}

func (m *migration) copyAgents(ctx context.Context, id string) (int, error) {
	return copyEach(ctx, func() ([]store.Agent, error) { return m.src.Agents(ctx, id) }, m.dst.ImportAgent)
}

func (m *migration) copyPrinters(ctx context.Context, id string) (int, error) {
	return copyEach(ctx, func() ([]store.Printer, error) { return m.src.Printers(ctx, id) }, m.dst.CreatePrinter)
}

func (m *migration) copyReaders(ctx context.Context, id string) (int, error) {
	return copyEach(ctx, func() ([]store.Reader, error) { return m.src.Readers(ctx, id) }, m.dst.CreateReader)
}

// copyEvents appends the audit log oldest first, as it was written.
func (m *migration) copyEvents(ctx context.Context, id string) (int, error) {
	evs, err := m.src.Events(ctx, id, store.EventFilter{})
	if err != nil {
		return 0, err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if err := m.dst.AppendEvent(ctx, evs[i]); err != nil {
			return 0, err
		}
	}
	return len(evs), nil
}

// copyUnknownCards copies the unknown cards of every reader; the sealed
// numbers stay sealed (same master key, same additional data).
func (m *migration) copyUnknownCards(ctx context.Context, id string) (int, error) {
	readers, err := m.src.Readers(ctx, id)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range readers {
		k, err := copyEach(ctx, func() ([]store.UnknownCard, error) { return m.src.UnknownCards(ctx, id, r.ID, time.Time{}) }, m.dst.PutUnknownCard)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

// copyJobs copies a company's jobs, each held document streamed from the
// source into the target under the same document id and a new key,
// wrapped for the job with the same master key.
func (m *migration) copyJobs(ctx context.Context, id string) (int, error) {
	jobs, err := m.src.Jobs(ctx, id, store.JobFilter{})
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		if j.HasDocument() {
			if j, err = m.copyDocument(ctx, j); err != nil {
				return 0, fmt.Errorf("job %s: %w", j.ID, err)
			}
		}
		if err := m.dst.CreateJob(ctx, j); err != nil {
			return 0, fmt.Errorf("job %s: %w", j.ID, err)
		}
	}
	return len(jobs), nil
}

// copyDocument streams j's document into the target and returns j with
// its new wrapped key. A document the source had lost already (the relay
// answers 410 for it) is reported and the job copied without one.
func (m *migration) copyDocument(ctx context.Context, j store.Job) (store.Job, error) {
	key, err := m.keys.unwrap(j.WrappedKey, j.CompanyID, j.ID)
	if err != nil {
		return j, fmt.Errorf("document key (is master.key the relay's?): %w", err)
	}
	defer clear(key)
	rc, err := m.src.OpenDocument(ctx, j.DocID, key)
	if errors.Is(err, store.ErrNotFound) {
		m.missing = append(m.missing, j.CompanyID+"/"+j.ID)
		fmt.Fprintf(m.out, "  warning: job %s: document %s is missing from the source; copying the job without it\n", j.ID, j.DocID)
		j.DocID, j.WrappedKey = "", nil
		return j, nil
	} else if err != nil {
		return j, fmt.Errorf("open document %s: %w", j.DocID, err)
	}
	defer rc.Close()
	h := sha256.New()
	newKey, size, err := m.dst.WriteDocument(ctx, j.DocID, io.TeeReader(rc, h))
	if err != nil {
		return j, fmt.Errorf("copy document %s: %w", j.DocID, err)
	}
	defer clear(newKey)
	if size != j.Size {
		return j, fmt.Errorf("document %s: copied %d bytes, the job says %d", j.DocID, size, j.Size)
	}
	if j.WrappedKey, err = m.keys.wrap(newKey, j.CompanyID, j.ID); err != nil {
		return j, err
	}
	m.docSums[j.CompanyID+"/"+j.ID] = [sha256.Size]byte(h.Sum(nil))
	m.counts["documents"]++
	m.docBytes += size
	if n := m.counts["documents"]; n%100 == 0 {
		fmt.Fprintf(m.out, "  documents        %d (%s)\n", n, byteCount(m.docBytes))
	}
	return j, nil
}

func byteCount(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// summary prints what was copied and verified.
func (m *migration) summary() {
	fmt.Fprintln(m.out, "migrated and verified:")
	for _, k := range migrateKinds {
		if k == "documents" {
			fmt.Fprintf(m.out, "  %-16s %d (%s, SHA-256 checked)\n", k, m.counts[k], byteCount(m.docBytes))
			continue
		}
		fmt.Fprintf(m.out, "  %-16s %d\n", k, m.counts[k])
	}
	if len(m.missing) > 0 {
		fmt.Fprintf(m.out, "warning: %d jobs had lost their document before the migration and were copied without it: %s\n",
			len(m.missing), strings.Join(m.missing, ", "))
	}
}
