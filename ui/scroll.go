package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// touchScroll is a vertical scroll a finger can drag, as on a phone: a
// touchscreen on a desktop system sends a drag, which Fyne's scroll
// ignores (it only takes a wheel or its bar). Buttons inside still take
// taps. With follow set it keeps the end in view, as a till roll does.
type touchScroll struct {
	widget.BaseWidget
	scroll *container.Scroll
	follow bool // show the end after every change of size
}

func newTouchScroll(content fyne.CanvasObject) *touchScroll {
	s := &touchScroll{scroll: container.NewVScroll(content)}
	s.ExtendBaseWidget(s)
	return s
}

func (s *touchScroll) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(s.scroll)
}

// Dragged scrolls with the finger.
func (s *touchScroll) Dragged(e *fyne.DragEvent) {
	s.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: e.Dragged.DY}})
	s.follow = false
}

// DragEnd: the list stays where the finger left it.
func (s *touchScroll) DragEnd() {}

// Resize lays the scroll out, keeping the end in view when following.
func (s *touchScroll) Resize(size fyne.Size) {
	s.BaseWidget.Resize(size)
	s.scroll.Resize(size)
	if s.follow {
		s.scroll.ScrollToBottom()
	}
}

// showEnd scrolls to the end now and after the next layout, which may
// follow from the change that called for it.
func (s *touchScroll) showEnd() {
	s.follow = true
	s.scroll.Content.Refresh()
	s.scroll.ScrollToBottom()
}

// Offset is how far the list is scrolled.
func (s *touchScroll) Offset() fyne.Position { return s.scroll.Offset }
