package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// maxCode is the longest code the keypad takes: a GTIN-14.
const maxCode = 14

// Keypad is an on-screen numeric keypad for fingers: the cashier types an
// item number and presses Enter, or a quantity, ×, then the item number.
// It keeps no sale state of its own; OnEnter decides what the number means.
type Keypad struct {
	widget.BaseWidget

	// OnEnter receives the typed digits and the quantity given with ×
	// (0 when none was given).
	OnEnter func(code string, qty int)

	buf     string
	qty     int
	hint    string
	display *widget.Label
	keys    map[string]*touchButton
}

// NewKeypad makes a keypad; hint is shown while nothing is typed.
func NewKeypad(hint string, enterLabel string, onEnter func(code string, qty int)) *Keypad {
	k := &Keypad{OnEnter: onEnter, hint: hint, keys: map[string]*touchButton{}}
	k.display = widget.NewLabel(hint)
	k.display.SizeName = theme.SizeNameSubHeadingText
	k.display.Alignment = fyne.TextAlignTrailing
	k.display.Truncation = fyne.TextTruncateEllipsis
	for _, d := range "0123456789" {
		k.keys[string(d)] = newButton(string(d), nil, func() { k.Press(d) })
	}
	k.keys["C"] = newButton("C", nil, func() { k.Press('C') })
	k.keys["⌫"] = newButton("", theme.NavigateBackIcon(), func() { k.Press('\b') })
	k.keys["×"] = newButton("×", nil, func() { k.Press('*') })
	k.keys["enter"] = newButton(enterLabel, theme.ConfirmIcon(), func() { k.Press('\r') })
	k.keys["enter"].Importance = widget.HighImportance
	for _, b := range k.keys {
		b.min = fyne.NewSize(64, 52) // above MinTouch; the payment and tender buttons fit under it at 1024×768
	}
	k.ExtendBaseWidget(k)
	return k
}

// Press handles one key: a digit, 'C' (clear), '\b' (backspace), '*'
// (the digits so far are a quantity) or '\r' (Enter).
func (k *Keypad) Press(r rune) {
	switch {
	case r >= '0' && r <= '9':
		if len(k.buf) < maxCode {
			k.buf += string(r)
		}
	case r == 'C':
		k.buf, k.qty = "", 0
	case r == '\b':
		if k.buf != "" {
			k.buf = k.buf[:len(k.buf)-1]
		} else {
			k.qty = 0
		}
	case r == '*':
		if n, err := strconv.Atoi(k.buf); err == nil && n > 0 && n < 1000 {
			k.qty, k.buf = n, ""
		}
	case r == '\r':
		code, qty := k.buf, k.qty
		k.buf, k.qty = "", 0
		if code != "" && k.OnEnter != nil {
			k.OnEnter(code, qty)
		}
	}
	k.show()
}

func (k *Keypad) show() {
	s := k.buf
	if k.qty > 0 {
		s = strconv.Itoa(k.qty) + " × " + s
	}
	if s == "" {
		s = k.hint
	}
	k.display.SetText(s)
}

// CreateRenderer lays the keys out like a phone's: 1-2-3 on top.
func (k *Keypad) CreateRenderer() fyne.WidgetRenderer {
	b := func(s string) fyne.CanvasObject { return k.keys[s] }
	grid := container.NewGridWithColumns(3,
		b("7"), b("8"), b("9"),
		b("4"), b("5"), b("6"),
		b("1"), b("2"), b("3"),
		b("C"), b("0"), b("⌫"),
	)
	bottom := container.NewBorder(nil, nil, b("×"), nil, b("enter"))
	return widget.NewSimpleRenderer(container.NewVBox(k.display, grid, bottom))
}
