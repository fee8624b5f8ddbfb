package raw9100

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/printersim"
)

func TestSendArrivesWrapped(t *testing.T) {
	p, err := printersim.Listen("127.0.0.1:0", t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	go p.Serve(t.Context())

	doc := make([]byte, 3<<20)
	rand.Read(doc)
	job := Job{Name: "Q3 report.pdf", User: "alice@acme.example", Format: "application/pdf"}
	n, err := Send(t.Context(), p.Addr(), job, bytes.NewReader(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(doc)) {
		t.Fatalf("sent %d document bytes, want %d", n, len(doc))
	}
	path, err := p.Wait(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := job.Header() + string(doc) + job.Trailer()
	if string(got) != want {
		t.Fatalf("printer got %d bytes, want %d", len(got), len(want))
	}
	if !strings.Contains(job.Header(), "ENTER LANGUAGE=PDF") || !strings.HasPrefix(job.Header(), uel) {
		t.Fatalf("header %q lacks UEL or language", job.Header())
	}
}

func TestSendFaults(t *testing.T) {
	doc := bytes.Repeat([]byte("x"), 8<<20)
	tests := []struct {
		name  string
		serve func(net.Conn)
	}{
		{"closes mid-job", func(c net.Conn) {
			io.CopyN(io.Discard, c, 1<<20)
			c.(*net.TCPConn).SetLinger(0) // reset, as a printer that crashes
			c.Close()
		}},
		{"stalls", func(c net.Conn) {
			time.Sleep(3 * time.Second)
			c.Close()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err == nil {
					tc.serve(c)
				}
			}()
			_, err = Send(t.Context(), ln.Addr().String(), Job{Name: "j"}, bytes.NewReader(doc),
				Options{WriteTimeout: 500 * time.Millisecond})
			if err == nil {
				t.Fatal("send reported success to a printer that did not take the job")
			}
		})
	}
}

func TestSendRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Send(t.Context(), addr, Job{}, strings.NewReader("x"), Options{}); err == nil {
		t.Fatal("send to a closed port succeeded")
	}
}

func TestPJLStringSanitises(t *testing.T) {
	if got := pjlString("a\"b\r\n\x1bc" + strings.Repeat("z", 100)); strings.ContainsAny(got, "\"\r\n\x1b") || len(got) > 80 {
		t.Fatalf("unsafe PJL value %q", got)
	}
}
