package samplepdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var pagesOne = regexp.MustCompile(`(?m)^Pages:\s+1$`)

// TestPageIsValid has poppler's pdfinfo read the page and its padded form.
func TestPageIsValid(t *testing.T) {
	pdfinfo, err := exec.LookPath("pdfinfo")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdfinfo is required in CI (Debian poppler-utils)")
		}
		t.Skip("pdfinfo not installed")
	}
	for _, pad := range []int{0, 110_000} {
		t.Run(strconv.Itoa(pad), func(t *testing.T) {
			doc := Page("hello", pad)
			if pad > 0 && len(doc) < pad {
				t.Fatalf("%d bytes, want at least %d", len(doc), pad)
			}
			if !bytes.Equal(doc, Page("hello", pad)) {
				t.Fatal("not deterministic")
			}
			path := filepath.Join(t.TempDir(), "p.pdf")
			os.WriteFile(path, doc, 0o600)
			out, err := exec.Command(pdfinfo, path).CombinedOutput()
			if err != nil || !pagesOne.Match(out) || strings.Contains(string(out), "Error") {
				t.Fatalf("pdfinfo: %v\n%s", err, out)
			}
		})
	}
}
