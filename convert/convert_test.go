package convert

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/samplepdf"
)

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
			f, err := c.Convert(t.Context(), bytes.NewReader(samplepdf.Page("edgeprint test page", 0)), tc.target)
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
	_, err := c.Convert(t.Context(), bytes.NewReader(samplepdf.Page("edgeprint test page", 0)), PostScript)
	if !errors.Is(err, ErrNoGhostscript) {
		t.Fatalf("err %v, want ErrNoGhostscript", err)
	}
}
