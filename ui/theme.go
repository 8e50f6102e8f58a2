package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Text sizes of the customer display, read from across the counter.
const (
	sizeDisplayS  fyne.ThemeSizeName = "kasseDisplayS"
	sizeDisplayM  fyne.ThemeSizeName = "kasseDisplayM"
	sizeDisplayL  fyne.ThemeSizeName = "kasseDisplayL"
	sizeDisplayXL fyne.ThemeSizeName = "kasseDisplayXL"
)

// MinTouch is the smallest side of anything a finger must hit, in dp.
const MinTouch = 48

// VippsOrange is the accent colour of Vipps MobilePay.
var VippsOrange = color.NRGBA{R: 0xFF, G: 0x5B, B: 0x24, A: 0xFF}

// Theme is kasse's touch theme: Fyne's default colours for the light or
// dark variant, Vipps orange as the primary colour, and sizes big enough to
// read at arm's length and to hit with a finger all day.
type Theme struct{}

var _ fyne.Theme = Theme{}

func (Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		if n == theme.ColorNameFocus {
			return color.NRGBA{R: 0xFF, G: 0x5B, B: 0x24, A: 0x66}
		}
		return VippsOrange
	case theme.ColorNameForegroundOnPrimary:
		return color.White
	case theme.ColorNameSuccess:
		return color.NRGBA{R: 0x1E, G: 0x8E, B: 0x3E, A: 0xFF}
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0xFF, G: 0x5B, B: 0x24, A: 0x40}
	}
	return theme.DefaultTheme().Color(n, v)
}

func (Theme) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 18
	case sizeDisplayS:
		return 26
	case sizeDisplayM:
		return 36
	case sizeDisplayL:
		return 52
	case sizeDisplayXL:
		return 80
	case theme.SizeNameHeadingText:
		return 30
	case theme.SizeNameSubHeadingText:
		return 22
	case theme.SizeNameCaptionText:
		return 14
	case theme.SizeNameInlineIcon:
		return 24
	case theme.SizeNamePadding:
		return 6
	case theme.SizeNameInnerPadding:
		return 12
	case theme.SizeNameScrollBar:
		return 24 // a bar a finger can take hold of
	case theme.SizeNameScrollBarSmall:
		return 12
	case theme.SizeNameInputBorder:
		return 2
	case theme.SizeNameButtonRadius, theme.SizeNameInputRadius:
		return 8
	}
	return theme.DefaultTheme().Size(n)
}

// touchButton is a button that never shrinks below a fingertip.
type touchButton struct {
	widget.Button
	min fyne.Size
}

func newButton(label string, icon fyne.Resource, tapped func()) *touchButton {
	b := &touchButton{min: fyne.NewSquareSize(MinTouch)}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// bigButton is for the one action the cashier looks for: tall and coloured.
func bigButton(label string, icon fyne.Resource, tapped func()) *touchButton {
	b := newButton(label, icon, tapped)
	b.Importance = widget.HighImportance
	b.min = fyne.NewSize(MinTouch, 72)
	return b
}

func (b *touchButton) MinSize() fyne.Size {
	return b.Button.MinSize().Max(b.min)
}

func (b *touchButton) setEnabled(on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}
