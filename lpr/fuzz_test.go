package lpr

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAck(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		ok    bool
		text  string
	}{
		{"ack", "\x00", true, ""},
		{"ack with trailing", "\x00junk", true, ""},
		{"closed", "", false, ""},
		{"nack", "\x01", false, ""},
		{"lprng nack", "\x01lp: queue does not exist\n", false, "lp: queue does not exist"},
		{"text only", "no such queue\r\n", false, "no such queue"},
		{"lprng 3.8 unknown queue", lprngUnknownQueue, false,
			"spool queue for 'nosuch' does not exist on server localhost check for correct printer name or you may need to run 'checkpc -f' to create queue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := parseAck("receive job", []byte(tc.reply))
			if (err == nil) != tc.ok {
				t.Fatalf("parseAck(%q) = %v", tc.reply, err)
			}
			var re *RefusedError
			if errors.As(err, &re) && re.Text != tc.text {
				t.Fatalf("text %q, want %q", re.Text, tc.text)
			}
		})
	}
}

// lprngUnknownQueue is what Debian's LPRng 3.8 lpd answered \x02nosuch\n
// (captured from the test server).
const lprngUnknownQueue = "\x03spool queue for 'nosuch' does not exist on server localhost\n" +
	"check for correct printer name or you may need to run\n'checkpc -f' to create queue\n"

func FuzzParseAck(f *testing.F) {
	for _, s := range []string{"\x00", "", "\x01", "\x01queue disabled\n", "\x02\xff\xfe", "Access denied\r\n", lprngUnknownQueue} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		err := parseAck("data file", reply)
		if (err == nil) != (len(reply) > 0 && reply[0] == 0) {
			t.Fatalf("parseAck(%q) = %v", reply, err)
		}
		var re *RefusedError
		if errors.As(err, &re) {
			if len(re.Text) > 2*maxNackText || strings.ContainsAny(re.Text, "\r\n\x00") {
				t.Fatalf("unsafe refusal text %q", re.Text)
			}
			if !errors.Is(err, ErrRefused) {
				t.Fatal("refusal is not ErrRefused")
			}
		}
	})
}
