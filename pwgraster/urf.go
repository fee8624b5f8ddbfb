package pwgraster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// URFSync starts an Apple Raster (URF, "UNIRAST") stream, the raster iOS
// sends to AirPrint printers. It is followed by a 4-byte page count, then
// per page a 32-byte header and lines encoded as in PWG Raster.
const URFSync = "UNIRAST\x00"

// URF colour spaces (the header's second byte).
const (
	URFSGray    = 0
	URFSRGB     = 1
	URFAdobeRGB = 3
	URFGray     = 4
	URFRGB      = 5
	URFCMYK     = 6
)

// URFHeader is one URF page header.
type URFHeader struct {
	BitsPerPixel int // 8 (grey), 24 (RGB), 32 (CMYK)
	ColorSpace   int
	Width        int
	Height       int
	DPI          int
}

// NumColors is 1, 3 or 4.
func (h URFHeader) NumColors() int { return h.BitsPerPixel / 8 }

// Validate checks a header against the format and the limits.
func (h URFHeader) Validate() error {
	switch {
	case h.DPI <= 0 || h.DPI > MaxDPI:
		return fmt.Errorf("%w: resolution %d", ErrFormat, h.DPI)
	case h.Width <= 0 || h.Width > MaxDimension || h.Height <= 0 || h.Height > MaxDimension:
		return fmt.Errorf("%w: size %dx%d", ErrFormat, h.Width, h.Height)
	case int64(h.Width)*int64(h.BitsPerPixel/8)*int64(h.Height) > MaxPageBytes:
		return fmt.Errorf("%w: page over %d bytes", ErrFormat, MaxPageBytes)
	}
	switch {
	case h.BitsPerPixel == 8 && (h.ColorSpace == URFSGray || h.ColorSpace == URFGray):
	case h.BitsPerPixel == 24 && (h.ColorSpace == URFSRGB || h.ColorSpace == URFAdobeRGB || h.ColorSpace == URFRGB):
	case h.BitsPerPixel == 32 && h.ColorSpace == URFCMYK:
	default:
		return fmt.Errorf("%w: URF colour space %d at %d bits", ErrFormat, h.ColorSpace, h.BitsPerPixel)
	}
	return nil
}

// URFReader reads a URF stream page by page.
type URFReader struct {
	r     *bufio.Reader
	Pages int // as the stream header says
}

// NewURFReader checks the sync word and reads the page count.
func NewURFReader(r io.Reader) (*URFReader, error) {
	br := bufio.NewReader(r)
	var head [12]byte
	if _, err := io.ReadFull(br, head[:]); err != nil || string(head[:8]) != URFSync {
		return nil, fmt.Errorf("%w: no UNIRAST sync word", ErrFormat)
	}
	return &URFReader{r: br, Pages: int(binary.BigEndian.Uint32(head[8:]))}, nil
}

// NextPage reads the next page header; io.EOF after the last page.
func (r *URFReader) NextPage() (URFHeader, error) {
	var b [32]byte
	n, err := io.ReadFull(r.r, b[:])
	if n == 0 && errors.Is(err, io.EOF) {
		return URFHeader{}, io.EOF
	}
	if err != nil {
		return URFHeader{}, fmt.Errorf("%w: short page header", ErrFormat)
	}
	h := URFHeader{
		BitsPerPixel: int(b[0]),
		ColorSpace:   int(b[1]),
		Width:        int(binary.BigEndian.Uint32(b[12:])),
		Height:       int(binary.BigEndian.Uint32(b[16:])),
		DPI:          int(binary.BigEndian.Uint32(b[20:])),
	}
	return h, h.Validate()
}

// ReadPage decodes the page whose header NextPage returned.
func (r *URFReader) ReadPage(h URFHeader, line func(y int, buf []byte) error) error {
	unit := h.BitsPerPixel / 8
	fill := byte(0xff)
	if h.ColorSpace == URFCMYK {
		fill = 0
	}
	return decodeLines(r.r, h.Width*unit, unit, h.Height, fill, line)
}

// WriteURFPage writes a URF stream of one page, for tests.
func WriteURFPage(w io.Writer, h URFHeader, line func(y int, buf []byte)) error {
	if err := h.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(URFSync)
	binary.Write(bw, binary.BigEndian, uint32(1))
	var b [32]byte
	b[0], b[1], b[2], b[3] = byte(h.BitsPerPixel), byte(h.ColorSpace), 1, 4
	binary.BigEndian.PutUint32(b[12:], uint32(h.Width))
	binary.BigEndian.PutUint32(b[16:], uint32(h.Height))
	binary.BigEndian.PutUint32(b[20:], uint32(h.DPI))
	bw.Write(b[:])
	unit := h.BitsPerPixel / 8
	buf := make([]byte, h.Width*unit)
	for y := range h.Height {
		line(y, buf)
		bw.WriteByte(0)
		encodeLine(bw, buf, unit)
	}
	return bw.Flush()
}
