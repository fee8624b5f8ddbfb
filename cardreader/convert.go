package cardreader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Conversion operations. A chain is a list of steps, applied in order, that
// turns what a reader sends into the card number the relay knows.
const (
	OpTrim             = "trim"                     // drop surrounding spaces
	OpUpper            = "upper"                    // upper-case ASCII letters
	OpStripPrefix      = "strip_prefix"             // drop Value if the card starts with it
	OpStripSuffix      = "strip_suffix"             // drop Value if the card ends with it
	OpRegex            = "regex"                    // keep the first capture group (or the whole match) of Pattern
	OpHexToDec         = "hex_to_dec"               // hex digits to a decimal number
	OpDecToHex         = "dec_to_hex"               // decimal digits to upper-case hex
	OpReverseBytes     = "reverse_bytes"            // reverse the byte order of a hex number
	OpWiegand26        = "wiegand26_strip_facility" // 26-bit Wiegand (or 24-bit facility+card) to the 16-bit card number, decimal
	OpStripLeadingZero = "strip_leading_zeros"      // "000123" → "123", "000" → "0"
	OpPadLeft          = "pad_left"                 // left-pad with zeros to Width
)

const (
	// maxSteps bounds a chain; real ones have two or three.
	maxSteps = 16
	// maxNumberDigits bounds the numbers hex/decimal steps convert, so
	// a hostile line cannot make big-number work expensive: 32 hex digits
	// (128-bit UIDs) or 40 decimal digits.
	maxHexDigits    = 32
	maxNumberDigits = 40
	// maxPatternLen bounds a regex step's pattern.
	maxPatternLen = 256
	// maxPadWidth bounds pad_left.
	maxPadWidth = 40
)

// ErrNoCard is returned when a chain cannot make a card number from a line:
// a regex that does not match, digits that are not hex, an empty result.
var ErrNoCard = errors.New("cardreader: no card number in line")

// Step is one conversion, as configured (JSON: {"op":"strip_prefix","value":"ID:"}).
type Step struct {
	Op      string `json:"op"`
	Value   string `json:"value,omitempty"`   // strip_prefix, strip_suffix
	Pattern string `json:"pattern,omitempty"` // regex
	// Base is the base a wiegand26_strip_facility step reads: "hex"
	// (default) or "dec".
	Base  string `json:"base,omitempty"`
	Width int    `json:"width,omitempty"` // pad_left
}

// Chain is a compiled list of steps; its zero value converts nothing.
type Chain struct {
	steps []Step
	fns   []func(string) (string, error)
}

// ParseChain decodes a JSON list of steps strictly (unknown keys are
// errors) and compiles it. Empty input or "null" is the empty chain.
func ParseChain(data []byte) (Chain, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return Chain{}, nil
	}
	var steps []Step
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&steps); err != nil {
		return Chain{}, fmt.Errorf("cardreader: conversion: %w", err)
	}
	if dec.More() {
		return Chain{}, errors.New("cardreader: conversion: trailing data")
	}
	return Compile(steps)
}

// Compile checks steps and prepares them.
func Compile(steps []Step) (Chain, error) {
	if len(steps) > maxSteps {
		return Chain{}, fmt.Errorf("cardreader: conversion: more than %d steps", maxSteps)
	}
	c := Chain{steps: append([]Step(nil), steps...)}
	for i, s := range steps {
		fn, err := compileStep(s)
		if err != nil {
			return Chain{}, fmt.Errorf("cardreader: conversion step %d (%s): %w", i+1, s.Op, err)
		}
		c.fns = append(c.fns, fn)
	}
	return c, nil
}

// Steps returns the chain's steps.
func (c Chain) Steps() []Step { return append([]Step(nil), c.steps...) }

// Then returns a chain that runs c, then d.
func (c Chain) Then(d Chain) Chain {
	return Chain{steps: append(c.Steps(), d.steps...), fns: append(append([]func(string) (string, error){}, c.fns...), d.fns...)}
}

// Apply runs the chain on a card number. The result is never empty.
func (c Chain) Apply(card string) (string, error) {
	for i, fn := range c.fns {
		var err error
		if card, err = fn(card); err != nil {
			return "", fmt.Errorf("%w: step %d (%s): %v", ErrNoCard, i+1, c.steps[i].Op, err)
		}
	}
	if card == "" {
		return "", fmt.Errorf("%w: empty", ErrNoCard)
	}
	return card, nil
}

func compileStep(s Step) (func(string) (string, error), error) {
	extra := func(ok bool) error {
		if !ok {
			return errors.New("has a field this op does not take")
		}
		return nil
	}
	plain := s.Value == "" && s.Pattern == "" && s.Base == "" && s.Width == 0
	switch s.Op {
	case OpTrim:
		return func(c string) (string, error) { return strings.TrimSpace(c), nil }, extra(plain)
	case OpUpper:
		return func(c string) (string, error) { return asciiUpper(c), nil }, extra(plain)
	case OpStripPrefix, OpStripSuffix:
		if s.Value == "" {
			return nil, errors.New("value is required")
		}
		v, pre := s.Value, s.Op == OpStripPrefix
		return func(c string) (string, error) {
			if pre {
				return strings.TrimPrefix(c, v), nil
			}
			return strings.TrimSuffix(c, v), nil
		}, extra(s.Pattern == "" && s.Base == "" && s.Width == 0)
	case OpRegex:
		if s.Pattern == "" || len(s.Pattern) > maxPatternLen {
			return nil, fmt.Errorf("pattern is required, at most %d characters", maxPatternLen)
		}
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return nil, err
		}
		if re.NumSubexp() > 1 {
			return nil, errors.New("pattern may have at most one capture group")
		}
		return func(c string) (string, error) { return capture(re, c) }, extra(s.Value == "" && s.Base == "" && s.Width == 0)
	case OpHexToDec:
		return func(c string) (string, error) { return convertBase(c, 16, 10) }, extra(plain)
	case OpDecToHex:
		return func(c string) (string, error) { return convertBase(c, 10, 16) }, extra(plain)
	case OpReverseBytes:
		return reverseBytes, extra(plain)
	case OpWiegand26:
		base := 16
		switch s.Base {
		case "", "hex":
		case "dec":
			base = 10
		default:
			return nil, errors.New(`base must be "hex" or "dec"`)
		}
		return func(c string) (string, error) { return wiegand26Card(c, base) }, extra(s.Value == "" && s.Pattern == "" && s.Width == 0)
	case OpStripLeadingZero:
		return stripLeadingZeros, extra(plain)
	case OpPadLeft:
		if s.Width < 1 || s.Width > maxPadWidth {
			return nil, fmt.Errorf("width must be 1 to %d", maxPadWidth)
		}
		w := s.Width
		return func(c string) (string, error) {
			if len(c) >= w {
				return c, nil
			}
			return strings.Repeat("0", w-len(c)) + c, nil
		}, extra(s.Value == "" && s.Pattern == "" && s.Base == "")
	}
	return nil, fmt.Errorf("unknown op %q", s.Op)
}

// asciiUpper upper-cases ASCII letters only and leaves every other byte
// as it is, so the result is never longer than the input (strings.ToUpper
// turns invalid UTF-8 into three-byte replacement runes).
func asciiUpper(c string) string {
	b := []byte(c)
	for i, x := range b {
		if x >= 'a' && x <= 'z' {
			b[i] = x - 'a' + 'A'
		}
	}
	return string(b)
}

func capture(re *regexp.Regexp, c string) (string, error) {
	m := re.FindStringSubmatch(c)
	if m == nil {
		return "", errors.New("pattern does not match")
	}
	if len(m) == 2 {
		return m[1], nil
	}
	return m[0], nil
}

func parseNumber(c string, base int) (*big.Int, error) {
	limit := maxNumberDigits
	if base == 16 {
		limit = maxHexDigits
	}
	if c == "" || len(c) > limit {
		return nil, fmt.Errorf("need 1 to %d digits", limit)
	}
	for i := 0; i < len(c); i++ {
		if !isDigit(c[i], base) {
			return nil, fmt.Errorf("%q is not a base-%d digit", c[i], base)
		}
	}
	n, ok := new(big.Int).SetString(c, base)
	if !ok {
		return nil, fmt.Errorf("not a base-%d number", base)
	}
	return n, nil
}

func isDigit(b byte, base int) bool {
	switch {
	case b >= '0' && b <= '9':
		return true
	case base == 16 && (b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'):
		return true
	}
	return false
}

func convertBase(c string, from, to int) (string, error) {
	n, err := parseNumber(c, from)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(n.Text(to)), nil
}

// reverseBytes reverses the byte order of a hex number: readers that print
// a MIFARE UID least significant byte first give "04A1B2C3" as "C3B2A104".
// An odd number of digits gets a leading zero first.
func reverseBytes(c string) (string, error) {
	if c == "" || len(c) > maxHexDigits {
		return "", fmt.Errorf("need 1 to %d hex digits", maxHexDigits)
	}
	for i := 0; i < len(c); i++ {
		if !isDigit(c[i], 16) {
			return "", fmt.Errorf("%q is not a hex digit", c[i])
		}
	}
	if len(c)%2 == 1 {
		c = "0" + c
	}
	out := make([]byte, 0, len(c))
	for i := len(c) - 2; i >= 0; i -= 2 {
		out = append(out, c[i], c[i+1])
	}
	return strings.ToUpper(string(out)), nil
}

// wiegand26Card returns the 16-bit card number of an H10301 (HID 26-bit)
// credential, in decimal. Readers send either the whole 26-bit frame
// (even parity, 8-bit facility, 16-bit card, odd parity) or the 24 data
// bits without parities; a value over 24 bits is taken as the whole frame.
func wiegand26Card(c string, base int) (string, error) {
	n, err := parseNumber(c, base)
	if err != nil {
		return "", err
	}
	if n.BitLen() > 26 {
		return "", errors.New("more than 26 bits")
	}
	v := n.Uint64()
	if n.BitLen() > 24 {
		v >>= 1 // drop the trailing odd parity bit; the facility goes below
	}
	return fmt.Sprint(v & 0xFFFF), nil
}

func stripLeadingZeros(c string) (string, error) {
	s := strings.TrimLeft(c, "0")
	if s == "" && c != "" {
		return "0", nil
	}
	return s, nil
}
