package main

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// chart draws one bar per ratio row, its target as a tick, green when met.
func chart(rows []row, path string) error {
	const (
		labelW, barW, rowH, top = 420, 360, 28, 40
		scale                   = barW / 2.0 // the axis runs from 0x to 2x
	)
	var bars []row
	for _, r := range rows {
		if ratioValue(r.ratio) >= 0 {
			bars = append(bars, r)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, labelW+barW+80, top+rowH*len(bars)+30))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	text(img, 10, 20, "kubectl-stack / what users would otherwise run (lower is better; | = target)", color.Black)
	for i, r := range bars {
		y := top + i*rowH
		text(img, 10, y+15, r.what, color.Black)
		v, t := ratioValue(r.ratio), targetValue(r.target)
		fill := color.RGBA{0x2e, 0x9d, 0x4f, 0xff}
		if met(r) != "yes" {
			fill = color.RGBA{0xd0, 0x3a, 0x2f, 0xff}
		}
		w := int(min(v, 2) * scale)
		draw.Draw(img, image.Rect(labelW, y+4, labelW+w, y+rowH-6), &image.Uniform{fill}, image.Point{}, draw.Src)
		end := w
		if t > 0 {
			x := int(min(t, 2) * scale)
			draw.Draw(img, image.Rect(labelW+x-1, y, labelW+x+1, y+rowH-2), image.Black, image.Point{}, draw.Src)
			end = max(end, x)
		}
		text(img, labelW+end+6, y+15, r.ratio, color.Black)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func text(img draw.Image, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
