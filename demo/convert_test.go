package demo

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPhotoPrintsAsPDF prints a JPEG as an iPhone would (image/jpeg),
// swipes, and finds at the printer a PDF made from it: the agent converts
// images and rasters at release, so a PDF-only printer prints them.
func TestPhotoPrintsAsPDF(t *testing.T) {
	ipptool := lookIPPTool(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	d, err := Start(ctx, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); d.Wait() }()
	info := d.Info
	waitFor(t, ctx, "agent connected", func() bool { return d.AgentStatus().RelayConnected })

	m := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			m.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, m, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(path, photo.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, ipptool, "-t", "-f", path,
		info.UserURI(info.IPPURI), "print-job.test").CombinedOutput(); err != nil {
		t.Fatalf("ipptool: %v\n%s", err, out)
	}
	swipe(t, info.Reader.ConnectTo, info.User.Card)
	out, err := d.Printer().Wait(ctx)
	if err != nil {
		t.Fatal("no job at the printer:", err)
	}
	got, _ := os.ReadFile(out)
	if !bytes.Contains(got, []byte("ENTER LANGUAGE=PDF")) || !bytes.Contains(got, []byte("%PDF-1.4")) ||
		!bytes.Contains(got, []byte("/DCTDecode")) || !bytes.Contains(got, photo.Bytes()) {
		t.Fatalf("the printer got %d bytes that are not a PDF holding the photo:\n%.300q", len(got), got)
	}
}
