package ipp

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"sync"
)

// iconPath is printer-icons: clients show it in their printer lists.
const iconPath = "/icon.png"

var icon = sync.OnceValue(func() []byte {
	// A 128x128 printer: grey body, white paper, a green light.
	m := image.NewRGBA(image.Rect(0, 0, 128, 128))
	fill := func(x0, y0, x1, y1 int, c color.RGBA) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				m.SetRGBA(x, y, c)
			}
		}
	}
	fill(32, 8, 96, 48, color.RGBA{250, 250, 250, 255})
	fill(8, 40, 120, 100, color.RGBA{90, 96, 104, 255})
	fill(28, 88, 100, 124, color.RGBA{250, 250, 250, 255})
	fill(100, 52, 110, 60, color.RGBA{40, 200, 80, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, m)
	return b.Bytes()
})

func serveIcon(w http.ResponseWriter, r *http.Request) {
	b := icon()
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Cache-Control", "max-age=86400")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}
