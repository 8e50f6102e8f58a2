// Package ui is kasse's Fyne front end: the cashier window and the customer
// display. It renders flow state and sends the cashier's intents to flow.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Options configure the windows.
type Options struct {
	StoreName       string
	CustomerDisplay bool
}

// Windows are the till's windows.
type Windows struct {
	app      fyne.App
	Cashier  fyne.Window
	Customer fyne.Window
}

// New creates the cashier window and, unless disabled, the customer display.
func New(a fyne.App, opt Options) *Windows {
	w := &Windows{app: a}
	w.Cashier = a.NewWindow("kasse — " + opt.StoreName)
	w.Cashier.SetContent(container.NewBorder(widget.NewLabel(opt.StoreName), nil, nil, nil, widget.NewLabel("Scan an item or a customer QR")))
	w.Cashier.Resize(fyne.NewSize(1024, 768))
	w.Cashier.SetMaster()
	if opt.CustomerDisplay {
		w.Customer = a.NewWindow("kasse — customer display")
		w.Customer.SetContent(container.NewCenter(widget.NewLabel("Welcome to " + opt.StoreName)))
		w.Customer.Resize(fyne.NewSize(800, 600))
	}
	return w
}

// ShowAndRun shows the windows and runs the Fyne event loop.
func (w *Windows) ShowAndRun() {
	if w.Customer != nil {
		w.Customer.Show()
	}
	w.Cashier.ShowAndRun()
}

// Quit closes every window; safe to call from any goroutine.
func (w *Windows) Quit() { fyne.Do(w.app.Quit) }
