package docconv

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/pwgraster"
)

func pdfinfo(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("pdfinfo")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("pdfinfo not installed (Debian: poppler-utils)")
		}
		t.Fatal("pdfinfo not installed (Debian: poppler-utils)")
	}
	return p
}

func jpegOf(t *testing.T, w, h int, gray bool) []byte {
	var m image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = byte(i)
		}
		m = g
	} else {
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				c.Set(x, y, color.RGBA{byte(x), byte(y), 200, 255})
			}
		}
		m = c
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pwgOf(t *testing.T, h pwgraster.Header, pages int) []byte {
	var b bytes.Buffer
	w := pwgraster.NewWriter(&b)
	for range pages {
		if err := w.WritePage(h, func(y int, buf []byte) {
			for i := range buf {
				buf[i] = byte(y + i)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	return b.Bytes()
}

func urfOf(t *testing.T, h pwgraster.URFHeader) []byte {
	var b bytes.Buffer
	if err := pwgraster.WriteURFPage(&b, h, func(y int, buf []byte) {
		for i := range buf {
			buf[i] = byte(y / 10)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every conversion is a PDF that poppler reads, with the right pages and
// page size.
func TestToPDF(t *testing.T) {
	info := pdfinfo(t)
	a4at150 := pwgraster.Header{DPI: 150, Width: 1240, Height: 1754, PageSize: [2]int{595, 842}}
	for _, tc := range []struct {
		name, format string
		doc          []byte
		pages        string
		size         string
	}{
		{"jpeg colour", FormatJPEG, jpegOf(t, 640, 480, false), "1", "842 x 595"},
		{"jpeg grey", FormatJPEG, jpegOf(t, 300, 400, true), "1", "595 x 842"},
		{"pwg srgb 2 pages", FormatPWGRaster, pwgOf(t, withType(a4at150, 8, pwgraster.ColorSpaceSRGB, 3), 2), "2", "595.2 x 841.92"},
		{"pwg black_1", FormatPWGRaster, pwgOf(t, withType(a4at150, 1, pwgraster.ColorSpaceBlack, 1), 1), "1", "595.2 x 841.92"},
		{"pwg sgray", FormatPWGRaster, pwgOf(t, withType(a4at150, 8, pwgraster.ColorSpaceSGray, 1), 1), "1", "595.2 x 841.92"},
		{"urf rgb", FormatURF, urfOf(t, pwgraster.URFHeader{BitsPerPixel: 24, ColorSpace: pwgraster.URFSRGB, Width: 1275, Height: 1650, DPI: 150}), "1", "612 x 792"},
		{"urf grey", FormatURF, urfOf(t, pwgraster.URFHeader{BitsPerPixel: 8, ColorSpace: pwgraster.URFSGray, Width: 600, Height: 900, DPI: 150}), "1", "288 x 432"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := ToPDF(&out, bytes.NewReader(tc.doc), tc.format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "out.pdf")
			if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := exec.CommandContext(t.Context(), info, path).CombinedOutput()
			if err != nil || strings.Contains(string(res), "Error") {
				t.Fatalf("pdfinfo: %v\n%s", err, res)
			}
			s := strings.Join(strings.Fields(string(res)), " ")
			if !strings.Contains(s, "Pages: "+tc.pages) || !strings.Contains(s, "Page size: "+tc.size) {
				t.Errorf("pdfinfo says:\n%s\nwant %s pages of %s", res, tc.pages, tc.size)
			}
		})
	}
}

func withType(h pwgraster.Header, bits, cs, colors int) pwgraster.Header {
	h.BitsPerColor, h.ColorSpace, h.NumColors = bits, cs, colors
	return h
}

func TestToPDFRejects(t *testing.T) {
	for _, tc := range []struct{ name, format, doc string }{
		{"not pwg", FormatPWGRaster, "RaS3garbage"},
		{"not urf", FormatURF, "UNIRAS"},
		{"not jpeg", FormatJPEG, "\xff\xd8 nope"},
		{"pdf", FormatPDF, "%PDF-1.4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ToPDF(&bytes.Buffer{}, strings.NewReader(tc.doc), tc.format); err == nil {
				t.Error("converted")
			}
		})
	}
}

func FuzzToPDF(f *testing.F) {
	f.Add([]byte(pwgraster.Sync), FormatPWGRaster)
	f.Add([]byte(pwgraster.URFSync+"\x00\x00\x00\x01"), FormatURF)
	f.Fuzz(func(t *testing.T, doc []byte, format string) {
		_ = ToPDF(&bytes.Buffer{}, bytes.NewReader(doc), format)
	})
}
