package raw9100

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxReply bounds one PJL reply: real ones are a few hundred bytes.
const maxReply = 4 << 10

// Errors of PJL read-back, for errors.Is.
var (
	// ErrPrinterNotReady is a printer whose INFO STATUS says it is offline
	// or needs an operator (paper out, jam, open door, hardware error).
	ErrPrinterNotReady = errors.New("raw9100: printer not ready")
	// ErrBadReply is a PJL reply that cannot be parsed.
	ErrBadReply = errors.New("raw9100: bad PJL reply")
)

// Reply is one PJL reply: the command it answers ("INFO STATUS",
// "USTATUS JOB", "USTATUS DEVICE"…), its bare words (START, END) and its
// KEY=VALUE lines, keys upper-cased and values unquoted. A printer ends
// every reply with a form feed.
type Reply struct {
	Kind   string
	Words  []string
	Fields map[string]string
}

// ParseReply parses one reply without its form feed.
func ParseReply(b []byte) (Reply, error) {
	if len(b) > maxReply {
		return Reply{}, fmt.Errorf("%w: %d bytes", ErrBadReply, len(b))
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r", ""), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) {
		return Reply{}, fmt.Errorf("%w: empty", ErrBadReply)
	}
	head, ok := cutPrefixFold(strings.TrimSpace(lines[i]), "@PJL")
	if !ok {
		return Reply{}, fmt.Errorf("%w: %q does not start with @PJL", ErrBadReply, clip(lines[i]))
	}
	r := Reply{Kind: strings.ToUpper(strings.Join(strings.Fields(head), " ")), Fields: map[string]string{}}
	for _, l := range lines[i+1:] {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			r.Fields[strings.ToUpper(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
		} else {
			r.Words = append(r.Words, strings.ToUpper(l))
		}
	}
	return r, nil
}

// Status is a printer's INFO STATUS or USTATUS DEVICE.
type Status struct {
	Code    int    // PJL status code; see Ready
	Display string // what the panel shows
	Online  bool
}

// Status reads the device status a reply carries, if it carries one.
func (r Reply) Status() (Status, bool) {
	if r.Kind != "INFO STATUS" && r.Kind != "USTATUS DEVICE" {
		return Status{}, false
	}
	code, err := strconv.Atoi(r.Fields["CODE"])
	if err != nil {
		return Status{}, false
	}
	return Status{Code: code, Display: r.Fields["DISPLAY"], Online: !strings.EqualFold(r.Fields["ONLINE"], "FALSE")}, true
}

// Ready reports whether a printer in this state takes a job. PJL status
// codes group by their first digits: 10xxx informational (ready, warming
// up, printing), 11xxx–15xxx background paper and bin states, 30xxx
// auto-continuable and 35xxx possible-intervention warnings; 40xxx–44xxx
// need an operator (paper out, jam, door open), 50xxx are hardware errors.
func (s Status) Ready() bool {
	return s.Online && s.Code < 40000
}

// Err is nil for a ready printer and ErrPrinterNotReady with the panel text
// otherwise.
func (s Status) Err() error {
	if s.Ready() {
		return nil
	}
	state := "offline"
	if s.Online {
		state = "in error"
	}
	return fmt.Errorf("%w: %s (PJL code %d, panel %q)", ErrPrinterNotReady, state, s.Code, clip(s.Display))
}

// JobDone reports whether a reply is the printer's USTATUS JOB END for the
// job named name, and the pages it counted.
func (r Reply) JobDone(name string) (pages int, ok bool) {
	if r.Kind != "USTATUS JOB" || len(r.Words) == 0 || r.Words[0] != "END" {
		return 0, false
	}
	if n, has := r.Fields["NAME"]; has && n != name {
		return 0, false
	}
	pages, _ = strconv.Atoi(r.Fields["PAGES"])
	return pages, true
}

// scanReplies splits a printer's back channel into replies at form feeds,
// skipping bytes that are not a reply (some printers echo NULs or send
// a bare form feed) and refusing one longer than maxReply.
func scanReplies(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 512), maxReply+1)
	sc.Split(splitReplies)
	return sc
}

func splitReplies(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\f'); i >= 0 {
		return i + 1, bytes.Trim(data[:i], "\x00\r\n "), nil
	}
	if len(data) > maxReply {
		return 0, nil, fmt.Errorf("%w: longer than %d bytes", ErrBadReply, maxReply)
	}
	if atEOF && len(data) > 0 {
		return len(data), bytes.Trim(data, "\x00\r\n "), nil // a reply cut short; the caller decides
	}
	return 0, nil, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func clip(s string) string { return pjlString(s) }
