// Command barefyne is the yardstick for kasse's cold start and memory: the
// smallest Fyne program with one window, built with the same toolchain and
// Fyne version in the same benchmark run.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.New()
	w := a.NewWindow("bare fyne window")
	w.SetContent(widget.NewLabel("hello"))
	w.Resize(fyne.NewSize(1024, 768))
	w.ShowAndRun()
}
