package cardreader

import (
	"errors"
	"strings"
	"testing"
)

// Card formats below are the same physical credentials as different
// readers report them:
//   - EM4100 tag 0x0046A443, printed on the card as "0004629571 070,42051"
//     (10-digit decimal of the low 32 bits; facility 70, card 42051);
//   - HID Prox H10301, facility 123, card 4567: 24 data bits 0x7B11D7, the
//     whole 26-bit frame with parities 0x2F623AE (49685422);
//   - MIFARE Classic UID 04 A1 B2 C3: Elatec sends "04A1B2C3", RF IDeas
//     set to decimal little-endian sends 3283263748 (0xC3B2A104).
func TestChainRealFormats(t *testing.T) {
	tests := []struct {
		name  string
		chain string
		in    string
		want  string
	}{
		{"em4100 hex to printed decimal", `[{"op":"hex_to_dec"},{"op":"pad_left","width":10}]`, "0046A443", "0004629571"},
		{"em4100 printed decimal to hex", `[{"op":"dec_to_hex"}]`, "0004629571", "46A443"},
		{"em4100 leading zeros dropped", `[{"op":"strip_leading_zeros"}]`, "0004629571", "4629571"},
		{"hid prox 26-bit frame hex", `[{"op":"wiegand26_strip_facility"}]`, "2F623AE", "4567"},
		{"hid prox 26-bit frame decimal", `[{"op":"wiegand26_strip_facility","base":"dec"}]`, "49685422", "4567"},
		{"hid prox 24 data bits", `[{"op":"wiegand26_strip_facility"}]`, "7B11D7", "4567"},
		{"mifare reversed decimal to uid", `[{"op":"dec_to_hex"},{"op":"reverse_bytes"}]`, "3283263748", "04A1B2C3"},
		{"mifare uid as is", `[]`, "04A1B2C3", "04A1B2C3"},
		{"reverse odd digits", `[{"op":"reverse_bytes"}]`, "ABC", "BC0A"},
		{"prefix and suffix", `[{"op":"strip_prefix","value":"ID:"},{"op":"strip_suffix","value":";"}]`, "ID:04A1B2C3;", "04A1B2C3"},
		{"regex capture", `[{"op":"regex","pattern":"CARD:([0-9]+)"}]`, "FAC:123 CARD:4567", "4567"},
		{"regex whole match", `[{"op":"regex","pattern":"[0-9A-F]{8}"}]`, "UID=04A1B2C3 OK", "04A1B2C3"},
		{"trim and upper", `[{"op":"trim"},{"op":"upper"}]`, "  04a1b2c3 ", "04A1B2C3"},
		{"all zeros", `[{"op":"strip_leading_zeros"}]`, "0000", "0"},
		{"null chain", `null`, "1234", "1234"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseChain([]byte(tc.chain))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Apply(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("Apply(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestSameBadgeTwoReaders: a MIFARE badge read by an Elatec (hex UID) and
// by an RF IDeas (decimal, reversed) resolves to the same number.
func TestSameBadgeTwoReaders(t *testing.T) {
	elatec := ModelChain(ElatecTCPConv)
	rfideasOwn, err := ParseChain([]byte(`[{"op":"dec_to_hex"},{"op":"reverse_bytes"}]`))
	if err != nil {
		t.Fatal(err)
	}
	rfideas := ModelChain(RFIDeas241).Then(rfideasOwn)
	a, err1 := elatec.Apply("04a1b2c3")
	b, err2 := rfideas.Apply(" 3283263748")
	if err1 != nil || err2 != nil || a != b {
		t.Fatalf("elatec %q (%v), rfideas %q (%v): want equal", a, err1, b, err2)
	}
}

func TestChainErrors(t *testing.T) {
	bad := []string{
		`[{"op":"nope"}]`,
		`[{"op":"trim","value":"x"}]`,
		`[{"op":"strip_prefix"}]`,
		`[{"op":"regex","pattern":"("}]`,
		`[{"op":"regex","pattern":"(a)(b)"}]`,
		`[{"op":"pad_left","width":0}]`,
		`[{"op":"wiegand26_strip_facility","base":"oct"}]`,
		`[{"op":"trim","extra":1}]`,
		`{"op":"trim"}`,
		`[` + strings.Repeat(`{"op":"trim"},`, maxSteps) + `{"op":"trim"}]`,
	}
	for _, in := range bad {
		if _, err := ParseChain([]byte(in)); err == nil {
			t.Errorf("ParseChain(%s) accepted", in)
		}
	}
	noCard := []struct{ chain, in string }{
		{`[{"op":"hex_to_dec"}]`, "XYZ"},
		{`[{"op":"dec_to_hex"}]`, "12AB"},
		{`[{"op":"regex","pattern":"CARD:(\\d+)"}]`, "BANNER"},
		{`[{"op":"wiegand26_strip_facility"}]`, "FFFFFFF"},
		{`[{"op":"strip_prefix","value":"ID:"}]`, "ID:"},
		{`[{"op":"hex_to_dec"}]`, strings.Repeat("1", maxNumberDigits+1)},
	}
	for _, tc := range noCard {
		c, err := ParseChain([]byte(tc.chain))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Apply(tc.in); !errors.Is(err, ErrNoCard) {
			t.Errorf("%s on %q = %q, %v; want ErrNoCard", tc.chain, tc.in, got, err)
		}
	}
}
