package ipp

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgeprint/edgeprint/pwgraster"

	"github.com/edgeprint/edgeprint/samplepdf"
)

// The PWG raster samples ipp-everywhere.test prints when they exist next
// to it: pwg-raster-samples-DPIdpi/TYPE/NAME-TYPE-DPIdpi.pwg.
var rasterSamples = []struct {
	name          string
	width, height float64 // inches
	pages         int
}{
	{"color.jpg-4x6", 4, 6, 1},
	{"gray.jpg-4x6", 4, 6, 1},
	{"document-a4", 210 / 25.4, 297 / 25.4, 2},
	{"document-letter", 8.5, 11, 2},
	{"onepage-a4", 210 / 25.4, 297 / 25.4, 1},
	{"onepage-letter", 8.5, 11, 1},
}

var rasterTypes = map[string]pwgraster.Header{
	"black-1": {BitsPerColor: 1, ColorSpace: pwgraster.ColorSpaceBlack, NumColors: 1},
	"sgray-8": {BitsPerColor: 8, ColorSpace: pwgraster.ColorSpaceSGray, NumColors: 1},
	"srgb-8":  {BitsPerColor: 8, ColorSpace: pwgraster.ColorSpaceSRGB, NumColors: 3},
}

// writeRasterSamples makes the samples for the resolutions and types the
// queue advertises, in dir.
func writeRasterSamples(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	for _, dpi := range resolutions {
		for typ, base := range rasterTypes {
			sub := filepath.Join(dir, fmt.Sprintf("pwg-raster-samples-%ddpi", dpi), typ)
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, s := range rasterSamples {
				h := base
				h.DPI = dpi
				h.Width, h.Height = int(s.width*float64(dpi)), int(s.height*float64(dpi))
				h.PageSize = [2]int{int(s.width * 72), int(s.height * 72)}
				h.TotalPages = s.pages
				f, err := os.Create(filepath.Join(sub, fmt.Sprintf("%s-%s-%ddpi.pwg", s.name, typ, dpi)))
				if err != nil {
					t.Fatal(err)
				}
				w := pwgraster.NewWriter(f)
				for range s.pages {
					if err := w.WritePage(h, bands(h)); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				f.Close()
				n++
			}
		}
	}
	// ipptool 2.4 reads every FILE while parsing, even in tests that
	// SKIP-IF-NOT-DEFINED skips (resolutions and types the queue does not
	// advertise): those get an empty file, never sent.
	for _, dpi := range []int{150, 180, 300, 360, 600, 720} {
		for _, typ := range []string{"black-1", "cmyk-8", "sgray-8", "srgb-8", "srgb-16"} {
			sub := filepath.Join(dir, fmt.Sprintf("pwg-raster-samples-%ddpi", dpi), typ)
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, s := range rasterSamples {
				p := filepath.Join(sub, fmt.Sprintf("%s-%s-%ddpi.pwg", s.name, typ, dpi))
				if _, err := os.Stat(p); err == nil {
					continue
				}
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return n
}

// writeSampleDocs makes the documents ipp-1.1.test prints, in dir.
func writeSampleDocs(t *testing.T, dir string) {
	t.Helper()
	letterPDF := bytes.Replace(samplepdf.Page("edgeprint", 0), []byte("/MediaBox [0 0 595 842]"), []byte("/MediaBox [0 0 612 792]"), 1)
	ps := func(w, h int) []byte {
		return fmt.Appendf(nil, "%%!PS-Adobe-3.0\n%%%%BoundingBox: 0 0 %d %d\n%%%%Pages: 1\n%%%%EndComments\n"+
			"<< /PageSize [%d %d] >> setpagedevice\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (edgeprint) show showpage\n%%%%EOF\n", w, h, w, h)
	}
	img := func(gray bool) []byte {
		m := image.NewRGBA(image.Rect(0, 0, 320, 240))
		for y := range 240 {
			for x := range 320 {
				c := color.RGBA{uint8(x), uint8(y), 128, 255}
				if gray {
					c.G, c.B = c.R, c.R
				}
				m.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for name, data := range map[string][]byte{
		"document-a4.pdf":     samplepdf.Page("edgeprint", 0),
		"document-letter.pdf": letterPDF,
		"document-a4.ps":      ps(595, 842),
		"document-letter.ps":  ps(612, 792),
		"color.jpg":           img(false),
		"gray.jpg":            img(true),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// bands draws white with a few grey bars: cheap to encode, not blank.
func bands(h pwgraster.Header) func(int, []byte) {
	return func(y int, buf []byte) {
		v := byte(0xff)
		if h.ColorSpace == pwgraster.ColorSpaceBlack {
			v = 0
		}
		if (y/(h.DPI/2))%4 == 1 {
			v = ^v & 0x7f
		}
		for i := range buf {
			buf[i] = v
		}
	}
}

// releaseJobs plays the user at the printer: every held job is printed
// shortly after it arrives, as a badge swipe would, so the tests that wait
// for a job to complete see it complete.
func releaseJobs(t *testing.T, jobs *MemoryJobs) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				for _, n := range jobs.Held() {
					_ = jobs.Complete(n)
				}
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
}

// copyTests puts the ipptool test files in dir, so that the raster
// samples resolve next to them.
func copyTests(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(ipptoolDir, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var failLine = regexp.MustCompile(`(?m)^\s*(.*?)\s+\[FAIL\]\s*$`)

// TestConformance runs CUPS's own conformance suites against the queue:
// ipp-2.0.test (which includes ipp-1.1.test) and ipp-everywhere.test with
// PWG raster samples, over ipps:// with credentials.
func TestConformance(t *testing.T) {
	ipptoolPath(t)
	if testing.Short() {
		t.Skip("conformance suites take a while")
	}
	dir := t.TempDir()
	copyTests(t, dir, "ipp-1.1.test", "ipp-2.0.test", "ipp-everywhere.test")
	pdfPath := filepath.Join(dir, "hello.pdf")
	if err := os.WriteFile(pdfPath, samplepdf.Page("edgeprint", 0), 0o600); err != nil {
		t.Fatal(err)
	}
	samples := writeRasterSamples(t, dir)
	writeSampleDocs(t, dir)

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ipp-2.0", []string{"-tI", "-V", "2.0", "-f", pdfPath}},
		{"ipp-everywhere", []string{"-V", "2.0", "-t", "-f", pdfPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := NewMemoryJobs(maxRecentJobs)
			cfg := testConfig()
			cfg.Jobs = jobs
			sp := &testSpooler{}
			addr, _ := serveTest(t, newTestServer(t, cfg, testAuth{}, sp))
			releaseJobs(t, jobs)
			uri := "ipps://alice:secret@" + addr + "/ipp/print"
			args := append(append([]string{"-T", "30"}, tc.args...), uri, filepath.Join(dir, tc.name+".test"))
			out, err := ipptoolTimeout(t, 150*time.Second, args...)
			if err != nil || strings.Contains(out, "[FAIL]") || strings.Contains(out, "cannot be read") {
				var fails []string
				for _, m := range failLine.FindAllStringSubmatch(out, -1) {
					fails = append(fails, m[1])
				}
				t.Fatalf("ipptool %s: %v; failed: %s\n%s", tc.name, err, strings.Join(fails, "; "), out)
			}
			t.Logf("%s: passed, %d jobs spooled (%d raster samples)\n%s", tc.name, len(sp.spooled()), samples, out)
		})
	}
}
