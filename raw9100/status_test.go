package raw9100

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/printersim"
)

// pjlPrinter is a printer that answers PJL on its back channel: INFO STATUS
// with status, and USTATUS JOB START/END once enabled. It records what it
// received. No real PJL peer runs on Linux, so this is the in-process fake.
type pjlPrinter struct {
	ln     net.Listener
	status string // the INFO STATUS reply body
	got    chan []byte
	noEnd  bool
}

func startPJLPrinter(t *testing.T, status string, noEnd bool) *pjlPrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pjlPrinter{ln: ln, status: status, got: make(chan []byte, 1), noEnd: noEnd}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		p.serve(c)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return p
}

func (p *pjlPrinter) serve(c net.Conn) {
	var all bytes.Buffer
	r := bufio.NewReader(io.TeeReader(c, &all))
	name := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		switch l := strings.TrimSpace(strings.TrimPrefix(line, uel)); {
		case l == "@PJL INFO STATUS":
			io.WriteString(c, "@PJL INFO STATUS\r\n"+p.status+"\f")
		case strings.HasPrefix(l, "@PJL JOB"):
			name = strings.TrimPrefix(l, "@PJL JOB")
			io.WriteString(c, "@PJL USTATUS JOB\r\nSTART\r\n"+strings.TrimSpace(name)+"\r\n\f")
		case strings.HasPrefix(l, "@PJL EOJ") && !p.noEnd:
			io.WriteString(c, "@PJL USTATUS JOB\r\nEND\r\n"+strings.TrimSpace(name)+"\r\nPAGES=3\r\n\f")
		}
	}
	p.got <- all.Bytes()
}

func TestReadBack(t *testing.T) {
	const ready = "CODE=10001\r\nDISPLAY=\"Ready\"\r\nONLINE=TRUE\r\n"
	doc := bytes.Repeat([]byte("%PDF-1.7 page\n"), 50000)
	job := Job{Name: "Q3.pdf", User: "alice", Format: "application/pdf"}
	tests := []struct {
		name      string
		status    string
		noEnd     bool
		wantErr   error
		confirmed bool
	}{
		{"ready, job end reported", ready, false, nil, true},
		{"ready, no job end", ready, true, nil, false},
		{"offline", "CODE=10002\r\nDISPLAY=\"Offline\"\r\nONLINE=FALSE\r\n", false, ErrPrinterNotReady, false},
		{"paper jam", "CODE=42000\r\nDISPLAY=\"13.1 Paper jam\"\r\nONLINE=TRUE\r\n", false, ErrPrinterNotReady, false},
		{"out of paper", "CODE=41000\r\nDISPLAY=\"Load tray 2\"\r\n", false, ErrPrinterNotReady, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := startPJLPrinter(t, tc.status, tc.noEnd)
			res, err := SendJob(t.Context(), p.ln.Addr().String(), job, bytes.NewReader(doc),
				Options{ReadBack: true, DrainTimeout: 5 * time.Second})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if res.Confirmed != tc.confirmed {
				t.Fatalf("confirmed %v, want %v", res.Confirmed, tc.confirmed)
			}
			if res.Status == nil {
				t.Fatal("no status read back")
			}
			got := <-p.got
			if tc.wantErr != nil {
				if bytes.Contains(got, doc[:100]) {
					t.Fatal("a printer that is not ready got the document")
				}
				return
			}
			if want := statusQuery + job.Header() + string(doc) + job.Trailer(); string(got) != want {
				t.Fatalf("printer got %d bytes, want %d", len(got), len(want))
			}
			if tc.confirmed && res.Pages != 3 {
				t.Fatalf("pages %d, want 3", res.Pages)
			}
		})
	}
}

func TestReadBackSilentPrinter(t *testing.T) {
	p, err := printersim.Listen("127.0.0.1:0", t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	go p.Serve(t.Context())
	res, err := SendJob(t.Context(), p.Addr(), Job{Name: "j"}, strings.NewReader("hello"),
		Options{ReadBack: true, StatusTimeout: 200 * time.Millisecond, DrainTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != nil || res.Confirmed || res.Bytes != 5 {
		t.Fatalf("silent printer: %+v", res)
	}
	if _, err := p.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestParseReply(t *testing.T) {
	tests := []struct {
		name   string
		reply  string
		kind   string
		status *Status
		ready  bool
	}{
		{"info status", "@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"Ready\"\r\nONLINE=TRUE\r\n", "INFO STATUS",
			&Status{10001, "Ready", true}, true},
		{"lower case, LF only", "@pjl info   status\nCODE=40021\nDISPLAY=\"Close top cover\"\nONLINE=TRUE", "INFO STATUS",
			&Status{40021, "Close top cover", true}, false},
		{"device", "@PJL USTATUS DEVICE\r\nCODE=10023\r\nDISPLAY=\"Printing\"\r\nONLINE=TRUE\r\n", "USTATUS DEVICE",
			&Status{10023, "Printing", true}, true},
		{"job end", "@PJL USTATUS JOB\r\nEND\r\nNAME=\"Q3.pdf\"\r\nPAGES=3\r\n", "USTATUS JOB", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReply([]byte(tc.reply))
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.kind {
				t.Fatalf("kind %q, want %q", r.Kind, tc.kind)
			}
			st, ok := r.Status()
			if (tc.status != nil) != ok {
				t.Fatalf("status %v, %v", st, ok)
			}
			if ok && (st != *tc.status || st.Ready() != tc.ready) {
				t.Fatalf("status %+v ready %v, want %+v ready %v", st, st.Ready(), *tc.status, tc.ready)
			}
		})
	}
	if _, err := ParseReply([]byte("garbage")); !errors.Is(err, ErrBadReply) {
		t.Fatalf("garbage: %v", err)
	}
	r, _ := ParseReply([]byte("@PJL USTATUS JOB\r\nEND\r\nNAME=\"Q3.pdf\"\r\nPAGES=3\r\n"))
	if p, ok := r.JobDone("Q3.pdf"); !ok || p != 3 {
		t.Fatalf("JobDone = %d, %v", p, ok)
	}
	if _, ok := r.JobDone("other"); ok {
		t.Fatal("another job's end counted")
	}
}

func TestQuirks(t *testing.T) {
	table := []Quirk{
		{Model: "acme laser 9*", NoEnterLanguage: []string{"application/pdf"}, Origin: "test"},
		{Model: "acme laser 9000", NamelessJob: true, NoUserName: true, Origin: "test"},
	}
	tests := []struct {
		model  string
		header string
	}{
		{"", "\x1b%-12345X@PJL\r\n@PJL JOB NAME=\"a.pdf\"\r\n@PJL SET USERNAME=\"u\"\r\n@PJL ENTER LANGUAGE=PDF\r\n"},
		{"Acme Laser 9100", "\x1b%-12345X@PJL\r\n@PJL JOB NAME=\"a.pdf\"\r\n@PJL SET USERNAME=\"u\"\r\n"},
		{"ACME Laser 9000", "\x1b%-12345X@PJL\r\n@PJL JOB\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			j := Job{Name: "a.pdf", User: "u", Format: "application/pdf", Quirks: quirksIn(table, tc.model)}
			if got := j.Header(); got != tc.header {
				t.Fatalf("header %q, want %q", got, tc.header)
			}
		})
	}
	for _, q := range quirks {
		if q.Model == "" || q.Comment == "" || q.Origin == "" {
			t.Errorf("quirk %+v lacks a model, comment or origin", q)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"Ready\"\r\nONLINE=TRUE\r\n",
		"@PJL USTATUS JOB\r\nEND\r\nNAME=\"x\"\r\nPAGES=1\r\n",
		"@PJL USTATUS DEVICE\nCODE=42000\nONLINE=FALSE",
		"", "@PJL", "=\n=", "@PJL INFO STATUS\nCODE=-1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReply(b)
		if err != nil {
			return
		}
		if st, ok := r.Status(); ok {
			_ = st.Err()
		}
		r.JobDone("x")
	})
}

// FuzzBackChannel feeds arbitrary bytes as a printer's back channel: the
// splitter must never panic, loop or hand out a reply over maxReply.
func FuzzBackChannel(f *testing.F) {
	f.Add([]byte("@PJL INFO STATUS\r\nCODE=10001\r\n\f@PJL USTATUS JOB\r\nEND\r\n\f"))
	f.Add([]byte("\x00\x00\f\f"))
	f.Add(bytes.Repeat([]byte("A"), maxReply+10))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc := scanReplies(bytes.NewReader(b))
		for sc.Scan() {
			if len(sc.Bytes()) > maxReply {
				t.Fatalf("reply of %d bytes", len(sc.Bytes()))
			}
			ParseReply(sc.Bytes())
		}
	})
}
