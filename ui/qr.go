package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"github.com/skip2/go-qrcode"
)

// qrImage draws content as a QR code of side px pixels. Medium error
// correction survives a smudged customer display without making the code
// too dense for an old phone camera.
func qrImage(content string, px int) *canvas.Image {
	q, err := qrcode.New(content, qrcode.Medium)
	var img *canvas.Image
	if err != nil {
		fyne.LogError("drawing the payment QR", err)
		img = canvas.NewImageFromResource(nil)
	} else {
		img = canvas.NewImageFromImage(q.Image(px))
	}
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSquareSize(float32(px)))
	return img
}
