package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Control is where a control is drawn, in pixels of its window's canvas.
type Control struct {
	Window  string // "cashier" or "phone"
	X, Y    float32
	W, H    float32
	Enabled bool
	// Covered: a dialog is open over it, so a tap lands on the dialog.
	Covered bool
}

// Controls maps the controls a person taps to where they are drawn now,
// for a test that plays the till with real taps (xdotool under Xvfb): the
// cashier window's buttons and keypad, the login screen, the void
// confirmation, and the demo phone's answers. Call it on the UI thread.
func (w *Windows) Controls() map[string]Control {
	out := map[string]Control{}
	c := w.cashier
	main := map[string]fyne.CanvasObject{"request": c.request, "qr": c.qr, "void": c.voidSale, "cancel": c.cancelPay,
		"newsale": c.newSale, "enrol": c.enrol, "sales": c.sales, "parked": c.parked, "search": c.search}
	for k, b := range c.keypad.keys {
		main["key."+k] = b
	}
	for i, q := range c.lineQty {
		main[fmt.Sprintf("line.%d.minus", i)], main[fmt.Sprintf("line.%d.plus", i)] = q[0], q[1]
	}
	over := map[string]fyne.CanvasObject{}
	if c.ops != nil && c.ops.gated {
		s := c.ops.screen
		for _, o := range s.names.Objects {
			if b, ok := o.(*touchButton); ok {
				over["login.name."+b.Text] = b
			}
		}
		for r, b := range s.keys {
			over["login.key."+string(r)] = b
		}
		over["login.button"] = s.login
	}
	for label, b := range c.confirmButtons {
		over["dialog."+label] = b
	}
	c.tender.controls(main, over)
	covered := c.win.Canvas().Overlays().Top() != nil
	for n, o := range main {
		w.place(out, c.win, "cashier", n, o, covered)
	}
	for n, o := range over {
		w.place(out, c.win, "cashier", n, o, false)
	}
	if c.ops != nil && c.ops.gated {
		// Names loaded into the login screen after it opened are not yet
		// known to the driver's lookup: place them from the screen itself.
		s := c.ops.screen
		origin := w.app.Driver().AbsolutePositionForObject(s)
		for n, o := range over {
			if _, ok := out[n]; ok || origin.IsZero() {
				continue
			}
			if rel, ok := within(s.content, o); ok && o.Visible() {
				w.placeAt(out, c.win, "cashier", n, o, origin.Add(rel), false)
			}
		}
	}
	if w.phone != nil {
		for id, b := range w.phone.answers {
			i := strings.LastIndexByte(id, '/')
			w.place(out, w.Phone, "phone", "phone."+w.phone.kinds[id[:i]]+"."+id[i+1:], b, false)
		}
	}
	return out
}

// place records where o is drawn, if it is on screen.
func (w *Windows) place(out map[string]Control, win fyne.Window, window, name string, o fyne.CanvasObject, covered bool) {
	if o == nil || !o.Visible() {
		return
	}
	pos := w.app.Driver().AbsolutePositionForObject(o)
	if pos.IsZero() {
		return // not in the window's visible tree
	}
	w.placeAt(out, win, window, name, o, pos, covered)
}

func (w *Windows) placeAt(out map[string]Control, win fyne.Window, window, name string, o fyne.CanvasObject, pos fyne.Position, covered bool) {
	s := win.Canvas().Scale()
	ct := Control{Window: window, X: pos.X * s, Y: pos.Y * s, W: o.Size().Width * s, H: o.Size().Height * s, Enabled: true, Covered: covered}
	if d, ok := o.(fyne.Disableable); ok {
		ct.Enabled = !d.Disabled()
	}
	out[name] = ct
}

// within finds o under root through containers and scrolls, and returns
// where it is relative to root.
func within(root, o fyne.CanvasObject) (fyne.Position, bool) {
	if root == o {
		return fyne.Position{}, true
	}
	if !root.Visible() {
		return fyne.Position{}, false
	}
	var kids []fyne.CanvasObject
	switch x := root.(type) {
	case *fyne.Container:
		kids = x.Objects
	case *container.Scroll:
		kids = []fyne.CanvasObject{x.Content} // placed at minus the offset already
	}
	for _, k := range kids {
		if p, ok := within(k, o); ok {
			return k.Position().Add(p), true
		}
	}
	return fyne.Position{}, false
}
