package pwgraster

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func testLine(h Header) func(y int, buf []byte) {
	return func(y int, buf []byte) {
		for i := range buf {
			switch {
			case y < h.Height/3:
				buf[i] = 0xff
			case y < 2*h.Height/3:
				buf[i] = byte(i * 7 / (y + 1))
			default:
				buf[i] = byte(i / 50)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{DPI: 300, Width: 1200, Height: 1800, BitsPerColor: 8, ColorSpace: ColorSpaceSRGB, NumColors: 3, PageSize: [2]int{288, 432}, TotalPages: 1},
		{DPI: 300, Width: 1001, Height: 700, BitsPerColor: 1, ColorSpace: ColorSpaceBlack, NumColors: 1, PageSize: [2]int{240, 168}, TotalPages: 1},
		{DPI: 150, Width: 300, Height: 400, BitsPerColor: 8, ColorSpace: ColorSpaceSGray, NumColors: 1, PageSize: [2]int{144, 192}},
	} {
		var b bytes.Buffer
		w := NewWriter(&b)
		for range 2 {
			if err := w.WritePage(h, testLine(h)); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		r, err := NewReader(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, h.BytesPerLine())
		for page := 0; ; page++ {
			got, err := r.NextPage()
			if errors.Is(err, io.EOF) {
				if page != 2 {
					t.Fatalf("%d pages", page)
				}
				break
			}
			if err != nil || got != h {
				t.Fatalf("header %+v, %v; want %+v", got, err, h)
			}
			if err := r.ReadPage(got, func(y int, buf []byte) error {
				testLine(h)(y, want)
				if !bytes.Equal(buf, want) {
					t.Fatalf("page %d line %d differs", page, y)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func FuzzReader(f *testing.F) {
	var b bytes.Buffer
	w := NewWriter(&b)
	h := Header{DPI: 72, Width: 20, Height: 10, BitsPerColor: 8, ColorSpace: ColorSpaceSRGB, NumColors: 3}
	w.WritePage(h, testLine(h))
	w.Close()
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range 4 {
			h, err := r.NextPage()
			if err != nil || h.Width*h.Height > 1<<20 {
				return
			}
			if err := r.ReadPage(h, func(int, []byte) error { return nil }); err != nil {
				return
			}
		}
	})
}
