package cardreader

import (
	"context"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// step compiles one step for a fuzz target.
func step(t *testing.T, s Step) Chain {
	t.Helper()
	c, err := Compile([]Step{s})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func seeds(f *testing.F, in ...string) {
	for _, s := range in {
		f.Add(s)
	}
}

// checkOut is what every chain result must satisfy.
func checkOut(t *testing.T, in, out string, err error) {
	t.Helper()
	if err == nil && out == "" {
		t.Fatalf("empty card from %q without an error", in)
	}
}

func FuzzParseChain(f *testing.F) {
	f.Add(`[{"op":"trim"},{"op":"strip_prefix","value":"ID:"},{"op":"regex","pattern":"([0-9]+)"},{"op":"hex_to_dec"}]`, "ID:1234")
	f.Add(`[{"op":"dec_to_hex"},{"op":"reverse_bytes"},{"op":"strip_leading_zeros"}]`, "3283263748")
	f.Add(`[{"op":"wiegand26_strip_facility","base":"dec"},{"op":"pad_left","width":8}]`, "49685422")
	f.Fuzz(func(t *testing.T, chain, in string) {
		c, err := ParseChain([]byte(chain))
		if err != nil {
			return
		}
		out, err := c.Apply(in)
		checkOut(t, in, out, err)
	})
}

func FuzzHexToDec(f *testing.F) {
	seeds(f, "0046A443", "ff", "", "0", "G1", strings.Repeat("F", 32), strings.Repeat("F", 33))
	c := ModelChain("") // empty
	f.Fuzz(func(t *testing.T, in string) {
		out, err := c.Then(step(t, Step{Op: OpHexToDec})).Apply(in)
		checkOut(t, in, out, err)
		if err != nil {
			return
		}
		back, err := step(t, Step{Op: OpDecToHex}).Apply(out)
		if err != nil {
			t.Fatalf("dec_to_hex(%q): %v", out, err)
		}
		a, _ := new(big.Int).SetString(in, 16)
		b, _ := new(big.Int).SetString(back, 16)
		if a.Cmp(b) != 0 {
			t.Fatalf("%q → %q → %q", in, out, back)
		}
	})
}

func FuzzDecToHex(f *testing.F) {
	seeds(f, "3283263748", "0", "00012", "-1", "1e5")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := step(t, Step{Op: OpDecToHex}).Apply(in)
		checkOut(t, in, out, err)
		if err == nil && strings.Trim(out, "0123456789ABCDEF") != "" {
			t.Fatalf("dec_to_hex(%q) = %q", in, out)
		}
	})
}

func FuzzReverseBytes(f *testing.F) {
	seeds(f, "04A1B2C3", "ABC", "", "zz")
	f.Fuzz(func(t *testing.T, in string) {
		c := step(t, Step{Op: OpReverseBytes})
		out, err := c.Apply(in)
		checkOut(t, in, out, err)
		if err != nil {
			return
		}
		twice, err := c.Apply(out)
		want := strings.ToUpper(in)
		if len(want)%2 == 1 {
			want = "0" + want
		}
		if err != nil || twice != want {
			t.Fatalf("reverse twice %q → %q, want %q", in, twice, want)
		}
	})
}

func FuzzWiegand26(f *testing.F) {
	seeds(f, "2F623AE", "7B11D7", "FFFFFFF", "0")
	f.Fuzz(func(t *testing.T, in string) {
		for _, base := range []string{"hex", "dec"} {
			out, err := step(t, Step{Op: OpWiegand26, Base: base}).Apply(in)
			checkOut(t, in, out, err)
			if err == nil {
				n, ok := new(big.Int).SetString(out, 10)
				if !ok || n.Int64() > 0xFFFF || n.Sign() < 0 {
					t.Fatalf("wiegand26(%q, %s) = %q", in, base, out)
				}
			}
		}
	})
}

func FuzzStripLeadingZeros(f *testing.F) {
	seeds(f, "000123", "0000", "", "A0")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := step(t, Step{Op: OpStripLeadingZero}).Apply(in)
		checkOut(t, in, out, err)
		if err == nil && (len(out) > 1 && out[0] == '0' || !strings.HasSuffix(in, out)) {
			t.Fatalf("strip_leading_zeros(%q) = %q", in, out)
		}
	})
}

func FuzzPadLeft(f *testing.F) {
	f.Add("123", 10)
	f.Add("", 1)
	f.Fuzz(func(t *testing.T, in string, w int) {
		c, err := Compile([]Step{{Op: OpPadLeft, Width: w}})
		if err != nil {
			return
		}
		out, err := c.Apply(in)
		checkOut(t, in, out, err)
		if err == nil && (len(out) < w || !strings.HasSuffix(out, in)) {
			t.Fatalf("pad_left(%q, %d) = %q", in, w, out)
		}
	})
}

func FuzzStripAffixes(f *testing.F) {
	f.Add("ID:1234;", "ID:", ";")
	f.Fuzz(func(t *testing.T, in, pre, suf string) {
		c, err := Compile([]Step{{Op: OpTrim}, {Op: OpUpper}, {Op: OpStripPrefix, Value: pre}, {Op: OpStripSuffix, Value: suf}})
		if err != nil {
			return // empty value
		}
		out, err := c.Apply(in)
		checkOut(t, in, out, err)
		if err == nil && len(out) > len(in) {
			t.Fatalf("grew: %q → %q", in, out)
		}
	})
}

func FuzzRegex(f *testing.F) {
	f.Add("CARD:([0-9]+)", "FAC:1 CARD:4567")
	f.Add("[0-9A-F]{8}", "UID=04A1B2C3")
	f.Fuzz(func(t *testing.T, pattern, in string) {
		c, err := Compile([]Step{{Op: OpRegex, Pattern: pattern}})
		if err != nil {
			return
		}
		out, err := c.Apply(in)
		checkOut(t, in, out, err)
		if err == nil && !strings.Contains(in, out) {
			t.Fatalf("regex %q on %q gave %q, not a part of the input", pattern, in, out)
		}
	})
}

// FuzzConnection feeds arbitrary bytes to a reader connection: whatever
// comes before, a valid card line at the end is still read, unless the
// noise alone was enough to drop the connection.
func FuzzConnection(f *testing.F) {
	f.Add([]byte("Elatec ready\x00\r\n" + strings.Repeat("9", 600) + "\n"))
	f.Add([]byte("\r\r\n\n\xff\xfe"))
	f.Fuzz(func(t *testing.T, noise []byte) {
		a, b := net.Pipe()
		got := make(chan string, 64)
		done := make(chan struct{})
		go func() {
			defer close(done)
			serveConn(context.Background(), a, ElatecTCPConv, func(_ context.Context, s Swipe) { got <- s.Card }, slog.New(slog.DiscardHandler))
		}()
		go func() {
			b.SetWriteDeadline(time.Now().Add(5 * time.Second))
			b.Write(noise)
			b.Write([]byte("\r\n04A1B2C3\r\n"))
			b.Close()
		}()
		<-done
		close(got)
		var last string
		for c := range got {
			if len(c) > maxLine || c != strings.ToUpper(c) {
				t.Fatalf("bad card %q", c)
			}
			last = c
		}
		if last != "04A1B2C3" && strings.Count(string(noise), "\n")+strings.Count(string(noise), "\r") < maxBadLines {
			t.Fatalf("valid swipe after %d bytes of noise not read (last %q)", len(noise), last)
		}
	})
}
