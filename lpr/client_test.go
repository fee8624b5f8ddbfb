package lpr

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/lpr/lpdtest"
)

func TestSendToLPRng(t *testing.T) {
	srv := lpdtest.Start(t, "lp", "finance-floor2", "raw", "mail_room")
	tests := []struct {
		name  string
		queue string
		size  int
		job   Job
		opt   Options
	}{
		{"pdf to a printer queue", "lp", 1 << 20,
			Job{Number: 7, Host: "agent-1", User: "alice@acme.example", Name: "Q3 report.pdf", Format: "application/pdf"}, Options{}},
		{"pcl to a third-party queue", "finance-floor2", 3<<20 + 17,
			Job{Number: 999, Host: "agent-1", User: "bob", Name: "payroll.pcl", Format: "application/vnd.hp-pcl"}, Options{}},
		{"control file first", "raw", 64 << 10,
			Job{Number: 12, Host: "agent-1", User: "carol", Name: "memo", Format: "application/postscript"}, Options{ControlFirst: true}},
		{"100 MB to a named queue", "mail_room", 100 << 20,
			Job{Number: 100, Host: "agent-1", User: "dave", Name: "big scan.pdf", Format: "application/pdf"}, Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := randomDoc(t, tc.size)
			n, err := Send(t.Context(), srv.Addr, tc.queue, tc.job, bytes.NewReader(doc), int64(len(doc)), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(doc)) {
				t.Fatalf("sent %d bytes, want %d", n, len(doc))
			}
			got := srv.Printed(t, tc.queue, len(doc))
			if len(got) != len(doc) || sha256.Sum256(got) != sha256.Sum256(doc) {
				t.Fatalf("queue %s printed %d bytes that differ from the %d sent", tc.queue, len(got), len(doc))
			}
			info := srv.JobInfo(t, tc.queue)
			if info["P"] != field(tc.job.User, maxUserLen) || info["J"] != tc.job.Name || info["Q"] != tc.queue {
				t.Fatalf("lpd recorded P=%q J=%q Q=%q", info["P"], info["J"], info["Q"])
			}
			if want := "format=" + string(defaultDataCommand); !strings.Contains(info["hfdatafiles"], want) {
				t.Fatalf("lpd recorded data files %q, want %s", info["hfdatafiles"], want)
			}
		})
	}
}

func TestPrivilegedSourcePort(t *testing.T) {
	srv := lpdtest.Start(t, "lp", "busy")
	t.Run("in range", func(t *testing.T) {
		if !canBindPrivileged() {
			t.Skip("not allowed to bind ports below 1024 here")
		}
		doc := []byte("%!PS\nshowpage\n")
		if _, err := Send(t.Context(), srv.Addr, "lp", Job{Number: 1, Host: "h", User: "u", Name: "n"},
			bytes.NewReader(doc), int64(len(doc)), Options{SourcePorts: RequirePrivileged}); err != nil {
			t.Fatal(err)
		}
		srv.Printed(t, "lp", len(doc))
		if port := remotePort(t, srv.JobInfo(t, "lp")); port < FirstPrivilegedPort || port > LastPrivilegedPort {
			t.Fatalf("job came from port %d, want 721-731", port)
		}
	})
	t.Run("range busy falls back", func(t *testing.T) {
		for p := FirstPrivilegedPort; p <= LastPrivilegedPort; p++ {
			if ln, err := net.Listen("tcp", ":"+strconv.Itoa(p)); err == nil {
				defer ln.Close()
			}
		}
		doc := []byte("fallback")
		_, err := Send(t.Context(), srv.Addr, "busy", Job{Number: 2, Host: "h", User: "u"},
			bytes.NewReader(doc), int64(len(doc)), Options{SourcePorts: RequirePrivileged})
		if !errors.Is(err, ErrNoPrivilegedPort) {
			t.Fatalf("RequirePrivileged with the range busy: %v, want ErrNoPrivilegedPort", err)
		}
		if _, err := Send(t.Context(), srv.Addr, "busy", Job{Number: 3, Host: "h", User: "u"},
			bytes.NewReader(doc), int64(len(doc)), Options{SourcePorts: PreferPrivileged}); err != nil {
			t.Fatal(err)
		}
		srv.Printed(t, "busy", len(doc))
		if port := remotePort(t, srv.JobInfo(t, "busy")); port <= LastPrivilegedPort {
			t.Fatalf("fallback job came from port %d, want an ephemeral one", port)
		}
	})
}

func TestSendFaults(t *testing.T) {
	doc := bytes.Repeat([]byte("x"), 4<<20)
	tests := []struct {
		name  string
		serve func(net.Conn)
		want  error
		// ack is the AckTimeout; 1.5 s when zero.
		ack time.Duration
	}{
		{"refuses the queue", func(c net.Conn) {
			readLine(c)
			c.Write([]byte("\x01no such queue\n"))
		}, ErrRefused, 0},
		{"refuses the data file without a word, keeps the connection", func(c net.Conn) {
			readLine(c)
			c.Write([]byte{0})
			readLine(c)
			c.Write([]byte{1})
			time.Sleep(4 * time.Second) // longer than the refusal text is waited for
		}, ErrRefused, 30 * time.Second},
		{"closes mid-job", func(c net.Conn) {
			readLine(c)
			c.Write([]byte{0})
			readLine(c)
			c.Write([]byte{0})
			io.CopyN(io.Discard, c, 1<<20)
			c.(*net.TCPConn).SetLinger(0)
		}, nil, 0},
		{"never acknowledges the data", func(c net.Conn) {
			readLine(c)
			c.Write([]byte{0})
			readLine(c)
			c.Write([]byte{0})
			io.Copy(io.Discard, c)
		}, nil, 0},
		{"stalls", func(c net.Conn) {
			readLine(c)
			c.Write([]byte{0})
			readLine(c)
			c.Write([]byte{0})
			time.Sleep(1500 * time.Millisecond)
		}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := ln.Accept()
				if err == nil {
					tc.serve(c)
					c.Close()
				}
			}()
			defer func() { ln.Close(); <-done }()
			ack := tc.ack
			if ack == 0 {
				ack = 1500 * time.Millisecond
			}
			start := time.Now()
			_, err = Send(t.Context(), ln.Addr().String(), "lp", Job{Number: 1, Host: "h"}, bytes.NewReader(doc),
				int64(len(doc)), Options{WriteTimeout: 500 * time.Millisecond, AckTimeout: ack})
			// Every fault ends the send well before a long ack timeout: a
			// refusal's text is waited for a second, not for AckTimeout.
			if took := time.Since(start); took > 3*time.Second+ack/10 {
				t.Fatalf("send took %v to fail", took)
			}
			if err == nil {
				t.Fatal("send reported success to a server that did not take the job")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// TestUnknownQueueRefusedByLPRng: a real server's refusal arrives as
// ErrRefused with the server's own words, for the job's failure reason.
func TestUnknownQueueRefusedByLPRng(t *testing.T) {
	srv := lpdtest.Start(t, "lp")
	_, err := Send(t.Context(), srv.Addr, "no_such_queue", Job{Number: 1, Host: "h", User: "u"}, strings.NewReader("abc"), 3, Options{})
	var re *RefusedError
	if !errors.As(err, &re) || !errors.Is(err, ErrRefused) {
		t.Fatalf("err %v, want a refusal", err)
	}
	if re.Step != "receive job" || !strings.Contains(re.Text, "does not exist") {
		t.Fatalf("refusal %+v", re)
	}
}

func TestSendRejectsWrongSize(t *testing.T) {
	srv := lpdtest.Start(t, "lp")
	for _, tc := range []struct {
		name string
		doc  string
		size int64
	}{
		{"short", "abc", 10},
		{"long", "abcdef", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Send(t.Context(), srv.Addr, "lp", Job{Number: 1, Host: "h"}, strings.NewReader(tc.doc), tc.size, Options{}); err == nil {
				t.Fatal("a document of the wrong size was sent")
			}
		})
	}
}

func TestBadQueue(t *testing.T) {
	for _, q := range []string{"two words", "new\nline", "\x01"} {
		if _, err := Send(t.Context(), "127.0.0.1:1", q, Job{}, strings.NewReader(""), 0, Options{}); !errors.Is(err, ErrBadQueue) {
			t.Errorf("queue %q: %v, want ErrBadQueue", q, err)
		}
	}
}

func remotePort(t *testing.T, info map[string]string) int {
	t.Helper()
	port, err := strconv.ParseInt(info["remoteport"], 0, 32)
	if err != nil {
		t.Fatalf("lpd recorded remoteport %q", info["remoteport"])
	}
	return int(port)
}

func canBindPrivileged() bool {
	for p := FirstPrivilegedPort; p <= LastPrivilegedPort; p++ {
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			ln.Close()
			return true
		}
	}
	return false
}

func readLine(c net.Conn) {
	var b [1]byte
	for {
		if _, err := c.Read(b[:]); err != nil || b[0] == '\n' {
			return
		}
	}
}

func randomDoc(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}
