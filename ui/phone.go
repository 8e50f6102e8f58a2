package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// Phone is the simulated customer phone of demo mode: the requests the
// simulator has pushed to phones and a way to answer them. The UI never
// knows the customer's full number (flow only hands it a masked one), so
// it asks for every pending push and shows whose phone each is for.
type Phone interface {
	// Pushes lists the requests waiting for an answer, oldest first.
	Pushes() []PhonePush
	// Answer approves or declines a push.
	Answer(id string, approve bool) error
	// OnChange registers fn to be called (on any goroutine) whenever the
	// pending pushes change.
	OnChange(fn func())
}

// PhonePush is one request on a customer's phone.
type PhonePush struct {
	ID             string
	Kind           string // "payment", "login" or "checkin"
	Title          string // the merchant's text on the request, e.g. the store name
	Amount         flow.Money
	Currency       string
	BindingMessage string // the code the customer compares with the customer display
	MSISDN         string // which simulated phone it went to
}

// phoneWindow plays the customer's phone so one person can run a whole
// sale in demo mode.
type phoneWindow struct {
	w     *Windows
	tr    tr
	phone Phone
	win   fyne.Window
	list  *fyne.Container
	// scroll holds list; it must be refreshed too, or the new cards are
	// laid out in the old list's size and stay invisible.
	scroll *container.Scroll
	// answers holds each push's buttons by "<id>/approve" and "<id>/decline".
	answers map[string]*touchButton
	kinds   map[string]string // each push's kind by its id
}

func newPhoneWindow(w *Windows, p Phone) *phoneWindow {
	pw := &phoneWindow{w: w, tr: w.tr(w.opt.Lang), phone: p}
	pw.win = w.app.NewWindow(pw.tr.T("window.phone"))
	pw.list = container.NewVBox()
	pw.scroll = container.NewVScroll(container.NewPadded(pw.list))
	pw.win.SetContent(pw.scroll)
	pw.win.Resize(fyne.NewSize(400, 700))
	p.OnChange(func() { fyne.Do(pw.refresh) })
	pw.refresh()
	return pw
}

func (pw *phoneWindow) refresh() {
	t := pw.tr.T
	pw.list.RemoveAll()
	pw.answers, pw.kinds = map[string]*touchButton{}, map[string]string{}
	pushes := pw.phone.Pushes()
	if len(pushes) == 0 {
		pw.list.Add(widget.NewLabelWithStyle(t("phone.none"), fyne.TextAlignCenter, fyne.TextStyle{Italic: true}))
	}
	for _, p := range pushes {
		pw.list.Add(pw.card(p))
	}
	pw.scroll.Refresh()
}

func (pw *phoneWindow) card(p PhonePush) fyne.CanvasObject {
	t := pw.tr.T
	what := t("phone."+p.Kind, map[string]string{"Amount": formatMoney(p.Amount, p.Currency)})
	head := widget.NewLabelWithStyle(what, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.SizeName = theme.SizeNameSubHeadingText
	head.Wrapping = fyne.TextWrapWord
	rows := []fyne.CanvasObject{head}
	if p.Title != "" {
		rows = append(rows, widget.NewLabel(p.Title))
	}
	if p.BindingMessage != "" {
		code := widget.NewLabelWithStyle(t("phone.code", map[string]string{"Code": p.BindingMessage}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Monospace: true})
		code.Importance = widget.HighImportance
		rows = append(rows, code)
	}
	id := p.ID
	answer := func(ok bool) func() {
		return func() {
			pw.w.opt.Async(func() {
				if err := pw.phone.Answer(id, ok); err != nil {
					fyne.LogError("answering the demo push", err)
				}
			})
		}
	}
	approve := bigButton(t("phone.approve"), theme.ConfirmIcon(), answer(true))
	decline := newButton(t("phone.decline"), theme.CancelIcon(), answer(false))
	decline.Importance = widget.DangerImportance
	pw.answers[id+"/approve"], pw.answers[id+"/decline"] = approve, decline
	pw.kinds[id] = p.Kind
	rows = append(rows, container.NewGridWithColumns(2, decline, approve))
	return widget.NewCard("", p.MSISDN, container.NewVBox(rows...))
}
