package pwgraster

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Sync is the first four bytes of a PWG Raster stream.
const Sync = "RaS2"

// HeaderSize is the size of a page header.
const HeaderSize = 1796

// Colour spaces (cupsColorSpace values PWG 5102.4 allows).
const (
	ColorSpaceBlack = 3
	ColorSpaceCMYK  = 6
	ColorSpaceSGray = 18
	ColorSpaceSRGB  = 19
)

// Header is the part of a page header this package reads and writes.
type Header struct {
	DPI          int // HWResolution, same both ways
	Width        int // pixels
	Height       int // lines
	BitsPerColor int // 1, 8 or 16
	ColorSpace   int // ColorSpace*
	NumColors    int // 1, 3 or 4
	PageSize     [2]int
	TotalPages   int
}

// BitsPerPixel is BitsPerColor times NumColors.
func (h Header) BitsPerPixel() int { return h.BitsPerColor * h.NumColors }

// BytesPerLine is what one line takes uncompressed.
func (h Header) BytesPerLine() int { return (h.Width*h.BitsPerPixel() + 7) / 8 }

// bytesPerUnit is the run-length unit: one pixel, or one byte below 8 bits.
func (h Header) bytesPerUnit() int { return max(h.BitsPerPixel()/8, 1) }

// Offsets of the header fields (PWG 5102.4 section 4.3).
const (
	offMediaClass   = 0
	offHWResolution = 276
	offPageSize     = 352
	offWidth        = 372
	offHeight       = 376
	offBitsPerColor = 384
	offBitsPerPixel = 388
	offBytesPerLine = 392
	offColorOrder   = 396
	offColorSpace   = 400
	offNumColors    = 420
	offTotalPages   = 452
	offPrintQuality = 484
)

// Limits a decoder enforces: a page over them is an error, not an
// allocation.
const (
	MaxDPI       = 2400
	MaxDimension = 60000 // pixels or lines
	// MaxPageBytes caps a page's raw size: a few bytes of input can
	// describe a page of repeated lines, and converting it costs its raw
	// size. 600 dpi A3 in 8-bit RGB is 209 MB.
	MaxPageBytes = 512 << 20
)

// ErrFormat is returned for a stream that is not PWG Raster or breaks a limit.
var ErrFormat = errors.New("pwgraster: bad stream")

// Validate checks a header against the format and the limits.
func (h Header) Validate() error {
	switch {
	case h.DPI <= 0 || h.DPI > MaxDPI:
		return fmt.Errorf("%w: resolution %d", ErrFormat, h.DPI)
	case h.Width <= 0 || h.Width > MaxDimension || h.Height <= 0 || h.Height > MaxDimension:
		return fmt.Errorf("%w: size %dx%d", ErrFormat, h.Width, h.Height)
	case h.NumColors > 0 && h.BitsPerColor > 0 && int64(h.BytesPerLine())*int64(h.Height) > MaxPageBytes:
		return fmt.Errorf("%w: page over %d bytes", ErrFormat, MaxPageBytes)
	}
	switch {
	case h.ColorSpace == ColorSpaceBlack && h.NumColors == 1 && (h.BitsPerColor == 1 || h.BitsPerColor == 8):
	case h.ColorSpace == ColorSpaceSGray && h.NumColors == 1 && (h.BitsPerColor == 8 || h.BitsPerColor == 16):
	case h.ColorSpace == ColorSpaceSRGB && h.NumColors == 3 && (h.BitsPerColor == 8 || h.BitsPerColor == 16):
	case h.ColorSpace == ColorSpaceCMYK && h.NumColors == 4 && (h.BitsPerColor == 8 || h.BitsPerColor == 16):
	default:
		return fmt.Errorf("%w: colour space %d, %d colours, %d bits", ErrFormat, h.ColorSpace, h.NumColors, h.BitsPerColor)
	}
	return nil
}

func (h Header) marshal() []byte {
	b := make([]byte, HeaderSize)
	copy(b[offMediaClass:], "PwgRaster")
	put := func(off, v int) { binary.BigEndian.PutUint32(b[off:], uint32(v)) }
	put(offHWResolution, h.DPI)
	put(offHWResolution+4, h.DPI)
	put(offPageSize, h.PageSize[0])
	put(offPageSize+4, h.PageSize[1])
	put(offWidth, h.Width)
	put(offHeight, h.Height)
	put(offBitsPerColor, h.BitsPerColor)
	put(offBitsPerPixel, h.BitsPerPixel())
	put(offBytesPerLine, h.BytesPerLine())
	put(offColorOrder, 0)
	put(offColorSpace, h.ColorSpace)
	put(offNumColors, h.NumColors)
	put(offTotalPages, h.TotalPages)
	put(offPrintQuality, 4)
	return b
}

func unmarshal(b []byte) Header {
	get := func(off int) int { return int(binary.BigEndian.Uint32(b[off:])) }
	return Header{
		DPI:          get(offHWResolution),
		Width:        get(offWidth),
		Height:       get(offHeight),
		BitsPerColor: get(offBitsPerColor),
		ColorSpace:   get(offColorSpace),
		NumColors:    get(offNumColors),
		PageSize:     [2]int{get(offPageSize), get(offPageSize + 4)},
		TotalPages:   get(offTotalPages),
	}
}

// Writer writes a PWG Raster stream.
type Writer struct {
	w       *bufio.Writer
	started bool
}

// NewWriter returns a Writer on w; Close flushes it.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// WritePage writes one page; line(y, buf) fills line y (BytesPerLine bytes).
func (w *Writer) WritePage(h Header, line func(y int, buf []byte)) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if !w.started {
		w.w.WriteString(Sync)
		w.started = true
	}
	w.w.Write(h.marshal())
	unit := h.bytesPerUnit()
	cur, next := make([]byte, h.BytesPerLine()), make([]byte, h.BytesPerLine())
	for y := 0; y < h.Height; {
		line(y, cur)
		repeat := 1
		for y+repeat < h.Height && repeat < 256 {
			line(y+repeat, next)
			if !bytes.Equal(cur, next) {
				break
			}
			repeat++
		}
		w.w.WriteByte(byte(repeat - 1))
		encodeLine(w.w, cur, unit)
		y += repeat
	}
	return nil
}

// encodeLine writes one line in PWG's PackBits variant: n in 0..127
// repeats the next unit n+1 times; n in 129..255 is 257-n literal units.
func encodeLine(w *bufio.Writer, b []byte, unit int) {
	units := len(b) / unit
	at := func(i int) []byte { return b[i*unit : (i+1)*unit] }
	for i := 0; i < units; {
		run := 1
		for i+run < units && run < 128 && bytes.Equal(at(i), at(i+run)) {
			run++
		}
		if run > 1 {
			w.WriteByte(byte(run - 1))
			w.Write(at(i))
			i += run
			continue
		}
		lit := 1
		for i+lit < units && lit < 128 && (i+lit+1 >= units || !bytes.Equal(at(i+lit), at(i+lit+1))) {
			lit++
		}
		w.WriteByte(byte(257 - lit))
		w.Write(b[i*unit : (i+lit)*unit])
		i += lit
	}
}

// Close flushes the stream.
func (w *Writer) Close() error { return w.w.Flush() }

// Reader reads a PWG Raster stream page by page.
type Reader struct {
	r *bufio.Reader
}

// NewReader checks the sync word and returns a Reader.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReader(r)
	var sync [4]byte
	if _, err := io.ReadFull(br, sync[:]); err != nil || string(sync[:]) != Sync {
		return nil, fmt.Errorf("%w: no RaS2 sync word", ErrFormat)
	}
	return &Reader{r: br}, nil
}

// NextPage reads the next page header; io.EOF after the last page.
func (r *Reader) NextPage() (Header, error) {
	b := make([]byte, HeaderSize)
	n, err := io.ReadFull(r.r, b)
	if n == 0 && errors.Is(err, io.EOF) {
		return Header{}, io.EOF
	}
	if err != nil {
		return Header{}, fmt.Errorf("%w: short page header", ErrFormat)
	}
	h := unmarshal(b)
	return h, h.Validate()
}

// ReadPage decodes the page whose header NextPage returned, calling
// line(y, buf) for every line, in order.
func (r *Reader) ReadPage(h Header, line func(y int, buf []byte) error) error {
	return decodeLines(r.r, h.BytesPerLine(), h.bytesPerUnit(), h.Height, 0x00, line)
}

// decodeLines reads height lines of bytesPerLine in the PackBits variant
// PWG Raster and URF share: a line-repeat byte, then runs (n < 128: the next
// unit n+1 times; n > 128: 257-n literal units; 128: the rest of the line
// is blank, filled with fill).
func decodeLines(r *bufio.Reader, bytesPerLine, unit, height int, fill byte, line func(y int, buf []byte) error) error {
	buf := make([]byte, bytesPerLine)
	short := fmt.Errorf("%w: page cut short", ErrFormat)
	for y := 0; y < height; {
		rep, err := r.ReadByte()
		if err != nil {
			return short
		}
		for x := 0; x < len(buf); {
			c, err := r.ReadByte()
			if err != nil {
				return short
			}
			switch {
			case c == 128:
				for i := x; i < len(buf); i++ {
					buf[i] = fill
				}
				x = len(buf)
			case c < 128:
				n := (int(c) + 1) * unit
				if x+n > len(buf) {
					return fmt.Errorf("%w: run past the end of a line", ErrFormat)
				}
				if _, err := io.ReadFull(r, buf[x:x+unit]); err != nil {
					return short
				}
				for i := unit; i < n; i += unit {
					copy(buf[x+i:x+i+unit], buf[x:x+unit])
				}
				x += n
			default:
				n := (257 - int(c)) * unit
				if x+n > len(buf) {
					return fmt.Errorf("%w: run past the end of a line", ErrFormat)
				}
				if _, err := io.ReadFull(r, buf[x:x+n]); err != nil {
					return short
				}
				x += n
			}
		}
		for i := 0; i <= int(rep) && y < height; i++ {
			if err := line(y, buf); err != nil {
				return err
			}
			y++
		}
	}
	return nil
}
