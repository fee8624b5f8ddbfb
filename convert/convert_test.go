package convert

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// onePagePDF is a one-page PDF with a line of text, with its
// cross-reference table. (demo.SamplePDF is the same kind of page, but
// demo imports the agent, which imports this package.)
func onePagePDF() []byte {
	content := "BT /F1 24 Tf 72 720 Td (edgeprint test page) Tj ET"
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		accepts []string
		want    string
		convert bool
		err     error
	}{
		{"unknown capabilities pass through", PDF, nil, PDF, false, nil},
		{"takes pdf", PDF, []string{PostScript, PDF}, PDF, false, nil},
		{"postscript preferred", PDF, []string{PCL, PostScript}, PostScript, true, nil},
		{"pcl xl", PDF, []string{PCL, PCLXL}, PCLXL, true, nil},
		{"pcl 5 only", PDF, []string{PCL}, PCL, true, nil},
		{"other formats pass through", "image/urf", []string{PCL}, "image/urf", false, nil},
		{"nothing fits", PDF, []string{"image/pwg-raster"}, "", false, ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, conv, err := Plan(tc.format, tc.accepts)
			if got != tc.want || conv != tc.convert || !errors.Is(err, tc.err) {
				t.Fatalf("Plan = %q, %v, %v; want %q, %v, %v", got, conv, err, tc.want, tc.convert, tc.err)
			}
		})
	}
}

func TestConvertWithGhostscript(t *testing.T) {
	if _, err := exec.LookPath("gs"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("gs not installed (Debian ghostscript)")
		}
		t.Skip("gs not installed (Debian ghostscript)")
	}
	tests := []struct {
		target string
		color  bool
		magic  string
	}{
		{PostScript, false, "%!PS"},
		{PCLXL, true, ") HP-PCL XL"},
		{PCLXL, false, ") HP-PCL XL"},
		{PCL, false, "\x1bE"},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			dir := t.TempDir()
			c := Converter{Dir: dir, Color: tc.color}
			f, err := c.Convert(t.Context(), bytes.NewReader(onePagePDF()), tc.target)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != f.Size || !bytes.Contains(data[:min(len(data), 256)], []byte(tc.magic)) {
				t.Fatalf("%s: %d bytes (size %d) starting %q", tc.target, len(data), f.Size, data[:min(len(data), 64)])
			}
			if err := f.Remove(); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("left %d files in the spool directory", len(left))
			}
		})
	}
	t.Run("bad pdf", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Converter{Dir: dir}.Convert(t.Context(), strings.NewReader("%PDF-1.4 not really"), PostScript)
		if !errors.Is(err, ErrFailed) {
			t.Fatalf("err %v, want ErrFailed", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("left %d files in the spool directory", len(left))
		}
	})
}

func TestNoGhostscript(t *testing.T) {
	c := Converter{GS: "/nonexistent/gs", Dir: t.TempDir()}
	_, err := c.Convert(t.Context(), bytes.NewReader(onePagePDF()), PostScript)
	if !errors.Is(err, ErrNoGhostscript) {
		t.Fatalf("err %v, want ErrNoGhostscript", err)
	}
}
