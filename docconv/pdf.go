package docconv

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"strings"

	"github.com/edgeprint/edgeprint/pwgraster"
)

// Formats ToPDF converts.
const (
	FormatJPEG      = "image/jpeg"
	FormatURF       = "image/urf"
	FormatPWGRaster = "image/pwg-raster"
	FormatPDF       = "application/pdf"
)

// MaxJPEGBytes caps a JPEG held in memory to embed it.
const MaxJPEGBytes = 256 << 20

// ErrUnsupported is returned for a format ToPDF does not convert.
var ErrUnsupported = errors.New("docconv: format not converted")

// Converts reports whether ToPDF converts format.
func Converts(format string) bool {
	switch strings.ToLower(format) {
	case FormatJPEG, FormatURF, FormatPWGRaster:
		return true
	}
	return false
}

// ToPDF writes r, a document in format, to w as PDF.
func ToPDF(w io.Writer, r io.Reader, format string) error {
	p := newPDFWriter(w)
	var err error
	switch strings.ToLower(format) {
	case FormatJPEG:
		err = jpegPages(p, r)
	case FormatPWGRaster:
		err = pwgPages(p, r)
	case FormatURF:
		err = urfPages(p, r)
	default:
		return fmt.Errorf("%w: %s", ErrUnsupported, format)
	}
	if err != nil {
		return err
	}
	return p.finish()
}

// picture is one page's image.
type picture struct {
	width, height int
	bpc           int
	colorSpace    string // DeviceGray, DeviceRGB, DeviceCMYK
	decode        string // optional /Decode array
	filter        string // FlateDecode or DCTDecode
	data          []byte
}

func jpegPages(p *pdfWriter, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxJPEGBytes+1))
	if err != nil {
		return fmt.Errorf("docconv: read jpeg: %w", err)
	}
	if len(data) > MaxJPEGBytes {
		return fmt.Errorf("docconv: jpeg over %d bytes", MaxJPEGBytes)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("docconv: jpeg: %w", err)
	}
	img := picture{width: cfg.Width, height: cfg.Height, bpc: 8, filter: "DCTDecode", data: data}
	// Components: grey, YCbCr (RGB) or CMYK (Adobe, inverted).
	switch components(data) {
	case 1:
		img.colorSpace = "DeviceGray"
	case 4:
		img.colorSpace, img.decode = "DeviceCMYK", "[1 0 1 0 1 0 1 0]"
	default:
		img.colorSpace = "DeviceRGB"
	}
	// Centred on A4 portrait (landscape for a wide picture), 1 cm margins.
	pw, ph := 595.0, 842.0
	if img.width > img.height {
		pw, ph = ph, pw
	}
	scale := min((pw-56)/float64(img.width), (ph-56)/float64(img.height))
	iw, ih := float64(img.width)*scale, float64(img.height)*scale
	return p.page(pw, ph, (pw-iw)/2, (ph-ih)/2, iw, ih, img)
}

// components reads the number of colour components from a JPEG's SOF marker.
func components(data []byte) int {
	for i := 2; i+9 < len(data); {
		if data[i] != 0xff {
			return 3
		}
		marker := data[i+1]
		length := int(data[i+2])<<8 | int(data[i+3])
		if marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc {
			return int(data[i+9])
		}
		i += 2 + length
	}
	return 3
}

func pwgPages(p *pdfWriter, r io.Reader) error {
	rr, err := pwgraster.NewReader(r)
	if err != nil {
		return err
	}
	return rasterPages(p, func() (rasterPage, error) {
		h, err := rr.NextPage()
		if err != nil {
			return rasterPage{}, err
		}
		img := picture{width: h.Width, height: h.Height, bpc: h.BitsPerColor, filter: "FlateDecode"}
		switch h.ColorSpace {
		case pwgraster.ColorSpaceBlack:
			img.colorSpace, img.decode = "DeviceGray", "[1 0]"
		case pwgraster.ColorSpaceSGray:
			img.colorSpace = "DeviceGray"
		case pwgraster.ColorSpaceSRGB:
			img.colorSpace = "DeviceRGB"
		case pwgraster.ColorSpaceCMYK:
			img.colorSpace = "DeviceCMYK"
		}
		return rasterPage{img, h.DPI, func(line func(int, []byte) error) error { return rr.ReadPage(h, line) }}, nil
	})
}

func urfPages(p *pdfWriter, r io.Reader) error {
	rr, err := pwgraster.NewURFReader(r)
	if err != nil {
		return err
	}
	return rasterPages(p, func() (rasterPage, error) {
		h, err := rr.NextPage()
		if err != nil {
			return rasterPage{}, err
		}
		img := picture{width: h.Width, height: h.Height, bpc: 8, filter: "FlateDecode"}
		switch h.NumColors() {
		case 1:
			img.colorSpace = "DeviceGray"
		case 3:
			img.colorSpace = "DeviceRGB"
		case 4:
			img.colorSpace = "DeviceCMYK"
		}
		return rasterPage{img, h.DPI, func(line func(int, []byte) error) error { return rr.ReadPage(h, line) }}, nil
	})
}

// rasterPage is one page of a PWG or URF raster: its picture (without
// data yet), its resolution, and how to read its lines.
type rasterPage struct {
	img  picture
	dpi  int
	read func(line func(int, []byte) error) error
}

// rasterPages writes one PDF page per raster page, sized by its
// resolution, until next says io.EOF; a raster without pages is an error.
func rasterPages(p *pdfWriter, next func() (rasterPage, error)) error {
	for pages := 0; ; pages++ {
		rp, err := next()
		if errors.Is(err, io.EOF) {
			if pages == 0 {
				return fmt.Errorf("%w: no pages", pwgraster.ErrFormat)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if rp.img.data, err = deflateLines(rp.read); err != nil {
			return err
		}
		pw, ph := float64(rp.img.width)*72/float64(rp.dpi), float64(rp.img.height)*72/float64(rp.dpi)
		if err := p.page(pw, ph, 0, 0, pw, ph, rp.img); err != nil {
			return err
		}
	}
}

// deflateLines compresses a page's lines as they are decoded: a page is
// held compressed (blank office pages shrink a thousandfold), never raw.
func deflateLines(read func(line func(int, []byte) error) error) ([]byte, error) {
	var b bytes.Buffer
	z, _ := zlib.NewWriterLevel(&b, zlib.BestSpeed)
	if err := read(func(_ int, buf []byte) error { _, err := z.Write(buf); return err }); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pdfWriter writes a PDF one page at a time: objects go out as they are
// made, the page tree and cross-reference table at the end.
type pdfWriter struct {
	w       *bufio.Writer
	n       int64
	offsets []int64 // of objects 1..N; object 1 is the catalog, 2 the page tree
	pages   []int
	err     error
}

func newPDFWriter(w io.Writer) *pdfWriter {
	p := &pdfWriter{w: bufio.NewWriter(w), offsets: make([]int64, 2)}
	p.printf("%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n")
	return p
}

func (p *pdfWriter) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	n, err := fmt.Fprintf(p.w, format, args...)
	p.n += int64(n)
	p.err = err
}

func (p *pdfWriter) write(b []byte) {
	if p.err != nil {
		return
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.err = err
}

// object starts a new object and returns its number.
func (p *pdfWriter) object() int {
	p.offsets = append(p.offsets, p.n)
	num := len(p.offsets)
	p.printf("%d 0 obj\n", num)
	return num
}

func (p *pdfWriter) page(pw, ph, x, y, w, h float64, img picture) error {
	imgObj := p.object()
	p.printf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s /BitsPerComponent %d /Filter /%s /Length %d",
		img.width, img.height, img.colorSpace, img.bpc, img.filter, len(img.data))
	if img.decode != "" {
		p.printf(" /Decode %s", img.decode)
	}
	p.printf(" >>\nstream\n")
	p.write(img.data)
	p.printf("\nendstream\nendobj\n")
	content := fmt.Sprintf("q %.2f 0 0 %.2f %.2f %.2f cm /Im0 Do Q\n", w, h, x, y)
	contentObj := p.object()
	p.printf("<< /Length %d >>\nstream\n%sendstream\nendobj\n", len(content), content)
	pageObj := p.object()
	p.printf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R /Resources << /XObject << /Im0 %d 0 R >> >> >>\nendobj\n",
		pw, ph, contentObj, imgObj)
	p.pages = append(p.pages, pageObj)
	return p.err
}

func (p *pdfWriter) finish() error {
	p.offsets[0] = p.n
	p.printf("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	p.offsets[1] = p.n
	p.printf("2 0 obj\n<< /Type /Pages /Count %d /Kids [", len(p.pages))
	for _, n := range p.pages {
		p.printf("%d 0 R ", n)
	}
	p.printf("] >>\nendobj\n")
	xref := p.n
	p.printf("xref\n0 %d\n0000000000 65535 f \n", len(p.offsets)+1)
	for _, off := range p.offsets {
		p.printf("%010d 00000 n \n", off)
	}
	p.printf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(p.offsets)+1, xref)
	if p.err != nil {
		return p.err
	}
	return p.w.Flush()
}
