package agent

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/edgeprint/edgeprint/ipp"
)

// Concurrent Spool calls share commits, and every job comes back whole
// with the number it was given.
func TestSpoolGroupCommit(t *testing.T) {
	sp, err := OpenSpool(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	var batches, records int
	var mu sync.Mutex
	applied := sp.commits.applied
	sp.commits.applied = func(recs []*JobRecord, pos walPos) {
		mu.Lock()
		batches++
		records += len(recs)
		mu.Unlock()
		applied(recs, pos)
	}
	const n = 64
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			doc := bytes.Repeat([]byte{byte(i)}, 1000+i)
			job, err := sp.Spool(t.Context(), ipp.JobInfo{User: ipp.User{ID: "u"}, Number: i, Name: fmt.Sprint(i)}, bytes.NewReader(doc))
			if err != nil || job.Number != i {
				t.Errorf("job %d: %+v, %v", i, job, err)
			}
		})
	}
	wg.Wait()
	if records != n {
		t.Fatalf("%d records committed, want %d", records, n)
	}
	t.Logf("%d jobs in %d commits", n, batches)
	sp.flush()
	jobs, err := sp.store.Jobs(func(JobRecord) bool { return true })
	if err != nil || len(jobs) != n {
		t.Fatalf("%d jobs stored, %v", len(jobs), err)
	}
	for _, j := range jobs {
		rc, err := sp.Open(j)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{byte(j.Number)}, 1000+j.Number)) {
			t.Errorf("job %d: document differs (%v)", j.Number, err)
		}
	}
	seq, _ := sp.store.JobSequence()
	if seq < n {
		t.Errorf("sequence %d, want at least %d: reserved numbers could be reused", seq, n)
	}
}

func TestQueueCapabilities(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name     string
		printers []Printer
		want     ipp.Capabilities
	}{
		{"no printers", nil, ipp.Capabilities{}},
		{"unknown", []Printer{{Enabled: true}}, ipp.Capabilities{}},
		{"all mono simplex", []Printer{{Enabled: true, Color: &no, Duplex: &no}}, ipp.Capabilities{NoColor: true, NoDuplex: true}},
		{"one colour", []Printer{{Enabled: true, Color: &no, Duplex: &no}, {Enabled: true, Color: &yes, Duplex: &no}}, ipp.Capabilities{NoDuplex: true}},
		{"disabled colour ignored", []Printer{{Enabled: true, Color: &no, Duplex: &yes}, {Color: &yes}}, ipp.Capabilities{NoColor: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := QueueCapabilities(tc.printers); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// After a crash, documents without records and records without documents
// (neither acknowledged) are removed; whole jobs stay.
func TestSpoolRecover(t *testing.T) {
	dir := t.TempDir()
	sp, err := OpenSpool(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := sp.Spool(t.Context(), ipp.JobInfo{User: ipp.User{ID: "u"}, Number: 1}, bytes.NewReader([]byte("whole")))
	if err != nil {
		t.Fatal(err)
	}
	big, err := sp.Spool(t.Context(), ipp.JobInfo{User: ipp.User{ID: "u"}, Number: 3}, bytes.NewReader(make([]byte, maxSegmentDoc+1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sp.docs.WriteFile("orphan", bytes.NewReader([]byte("no record"))); err != nil {
		t.Fatal(err)
	}
	if err := sp.store.AddJob(&JobRecord{ID: "nodoc", Number: 2}); err != nil {
		t.Fatal(err)
	}
	sp.flush()
	w, _ := sp.store.Job(whole.ID)
	cut := *w.Loc
	cut.Off += 5 // as if the batch's bytes never reached the disk
	if err := sp.store.AddJob(&JobRecord{ID: "cut", Number: 4, Key: w.Key, Loc: &cut}); err != nil {
		t.Fatal(err)
	}
	sp.Close()

	sp, err = OpenSpool(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	jobs, _ := sp.store.Jobs(func(JobRecord) bool { return true })
	if len(jobs) != 2 {
		t.Errorf("records after recovery: %+v", jobs)
	}
	for _, j := range jobs {
		if j.ID != whole.ID && j.ID != big.ID {
			t.Errorf("record %s survived recovery", j.ID)
		}
		r, err := sp.Open(j)
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	ids, _ := sp.docs.IDs()
	if len(ids) != 1 || ids[0] != big.ID {
		t.Errorf("document files after recovery: %v, want only the large job's", ids)
	}
}

// A job acknowledged but not yet in the database (a crash right after the
// answer) comes back from the record log at the next start; a torn frame
// after it is ignored.
func TestSpoolReplaysTheLog(t *testing.T) {
	dir := t.TempDir()
	sp, err := OpenSpool(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sp.commits.applied = func([]*JobRecord, walPos) {} // the crash: never applied
	doc := bytes.Repeat([]byte("acked "), 1000)
	job, err := sp.Spool(t.Context(), ipp.JobInfo{User: ipp.User{ID: "u"}, Number: 7}, bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := sp.store.Jobs(func(JobRecord) bool { return true }); len(n) != 0 {
		t.Fatalf("%d records in the database before replay", len(n))
	}
	sp.Close()
	logs, _ := filepath.Glob(filepath.Join(dir, "spool", "wal-*.log"))
	if len(logs) != 1 {
		t.Fatalf("log files: %v", logs)
	}
	f, _ := os.OpenFile(logs[0], os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte{0, 0, 1, 0, 9, 9, 9}) // a frame cut short
	f.Close()

	sp, err = OpenSpool(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	rec, err := sp.store.Job(job.ID)
	if err != nil || rec.Number != 7 {
		t.Fatalf("after restart: %+v, %v", rec, err)
	}
	r, err := sp.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, doc) {
		t.Fatal("replayed job's document differs")
	}
	// New work goes on after the torn frame, in a new log file.
	if _, err := sp.Spool(t.Context(), ipp.JobInfo{User: ipp.User{ID: "u"}, Number: 8}, bytes.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
	if n, _ := sp.Count(); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
}
