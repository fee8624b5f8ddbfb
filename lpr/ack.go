package lpr

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors of a send, for errors.Is.
var (
	// ErrRefused is a non-zero acknowledgement: the server would not take
	// the queue name, the file or the job.
	ErrRefused = errors.New("lpr: server refused")
	// ErrClosed is a server that hung up where an acknowledgement was due.
	ErrClosed = errors.New("lpr: server closed the connection")
	// ErrBadQueue is a queue name RFC 1179 cannot carry.
	ErrBadQueue = errors.New("lpr: invalid queue name")
	// ErrShortDocument is a document that ended before its announced size.
	ErrShortDocument = errors.New("lpr: document shorter than its size")
)

// maxNackText bounds the explanation some servers (LPRng, Windows LPD) send
// after a refusing byte; nackTextTimeout bounds the wait for it, since
// servers that send none may keep the connection open.
const (
	maxNackText     = 512
	nackTextTimeout = time.Second
)

// RefusedError is a server's non-zero acknowledgement and the text it sent
// with it, if any.
type RefusedError struct {
	Step string // what was refused: "receive job", "data file", "control file"
	Code byte
	Text string
}

// Error has no package prefix: Send wraps it in "lpr: send to ADDR: ".
func (e *RefusedError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("server refused %s (code %d)", e.Step, e.Code)
	}
	return fmt.Sprintf("server refused %s (code %d): %s", e.Step, e.Code, e.Text)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// parseAck reads what the server answered a command or a file with. RFC 1179
// acknowledges with one zero byte; anything else refuses. Servers that
// refuse often follow the byte with a line of text, which is kept, cleaned
// and bounded, for the job's failure reason. reply holds what was read: its
// first byte and, when that is not zero, whatever followed it.
func parseAck(step string, reply []byte) error {
	if len(reply) == 0 {
		return fmt.Errorf("%s: %w", step, ErrClosed)
	}
	if reply[0] == 0 {
		return nil
	}
	code, text := reply[0], reply[1:]
	if code >= 0x20 && code < 0x7f {
		// A server that answers with text only (no code byte): keep it all.
		code, text = 1, reply
	}
	return &RefusedError{Step: step, Code: code, Text: cleanText(text)}
}

// readAck reads one acknowledgement from r. On a refusal it reads the text
// that may follow, up to maxNackText bytes or the first newline.
func readAck(r io.Reader, step string) error {
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: %w", step, ErrClosed)
		}
		return fmt.Errorf("%s: read acknowledgement: %w", step, err)
	}
	if b[0] == 0 {
		return nil
	}
	reply := append([]byte(nil), b[0])
	if d, ok := r.(interface{ SetReadDeadline(time.Time) error }); ok {
		d.SetReadDeadline(time.Now().Add(nackTextTimeout))
	}
	buf := make([]byte, maxNackText)
	n, _ := r.Read(buf) // best effort: the server may have closed already
	return parseAck(step, append(reply, buf[:n]...))
}

// cleanText keeps a server's message to one printable line of bounded size.
func cleanText(b []byte) string {
	if len(b) > maxNackText {
		b = b[:maxNackText]
	}
	var s strings.Builder
	for _, c := range string(b) {
		switch {
		case c == '\n' || c == '\r':
			if s.Len() > 0 {
				s.WriteByte(' ')
			}
		case c < 0x20 || c == 0x7f || c == '\uFFFD':
		default:
			s.WriteRune(c)
		}
	}
	return strings.TrimSpace(s.String())
}
