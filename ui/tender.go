package ui

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// tenderPanel is the cashier's other ways to take the money: cash, the card
// terminal, a voucher, and "Pay another way" while a Vipps request is out.
// It renders what flow allows (View.CanTender, CanPayAnotherWay) and sends
// Till.Tender / Till.PayAnotherWay.
type tenderPanel struct {
	c       *cashierWindow
	row     *fyne.Container
	cash    *touchButton
	card    *touchButton
	voucher *touchButton
	another *touchButton
	summary *widget.Label // "Paid 50,00 · Due 64,90" under the total
	change  *widget.Label // the change to hand back, big

	// The open tender dialog, its amount display and what is typed.
	dialog  *dialog.CustomDialog
	given   *widget.Label
	code    *widget.Entry // the voucher code
	typed   string
	buttons map[string]*touchButton // named for the window's control map
}

func newTenderPanel(c *cashierWindow) *tenderPanel {
	t := c.tr.T
	p := &tenderPanel{c: c}
	p.cash = newButton(t("tender.cash"), theme.ContentAddIcon(), p.openCash)
	p.card = newButton(t("tender.card"), theme.ConfirmIcon(), p.openCard)
	p.voucher = newButton(t("tender.voucher"), theme.DocumentIcon(), p.openVoucher)
	// MinTouch high: the right panel keeps its keypad at 1024×768.
	for _, b := range []*touchButton{p.cash, p.card, p.voucher} {
		b.min = fyne.NewSize(MinTouch, MinTouch)
	}
	p.row = container.NewGridWithColumns(3, p.cash, p.card, p.voucher)
	p.another = newButton(t("tender.another_way"), theme.MediaSkipNextIcon(), func() { c.w.do(c.w.opt.Till.PayAnotherWay) })
	p.another.Importance = widget.WarningImportance
	p.another.min = fyne.NewSize(MinTouch, 64)
	p.summary = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	p.summary.Hide()
	p.change = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	p.change.SizeName = theme.SizeNameHeadingText
	p.change.Importance = widget.SuccessImportance
	p.change.Wrapping = fyne.TextWrapWord
	p.change.Hide()
	return p
}

// render shows the tender buttons by the View.
func (p *tenderPanel) render(v flow.View, active, finished bool) {
	t := p.c.tr.T
	money := p.c.money
	setShown(p.row, !active && !finished)
	for _, b := range []*touchButton{p.cash, p.card, p.voucher} {
		b.setEnabled(v.CanTender)
	}
	setShown(p.another, v.CanPayAnotherWay)
	if v.Paid > 0 && v.Stage == flow.StageOpen {
		p.summary.SetText(t("tender.paid_due", map[string]string{"Paid": money(v.Paid), "Due": money(v.Due)}))
		p.summary.Show()
	} else {
		p.summary.Hide()
	}
	if v.Stage == flow.StagePaid && v.Change > 0 {
		p.change.SetText(t("tender.change", map[string]string{"Amount": money(v.Change)}))
		p.change.Show()
	} else {
		p.change.Hide()
	}
	if v.Stage != flow.StageOpen && p.dialog != nil {
		p.close()
	}
}

func setShown(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

func (p *tenderPanel) close() {
	if p.dialog != nil {
		p.dialog.Hide()
	}
	p.dialog, p.buttons, p.typed = nil, nil, ""
}

// send takes the tender and closes the dialog; a refusal shows as the
// checkout's notice.
func (p *tenderPanel) send(req flow.TenderRequest) {
	p.close()
	p.c.w.do(func(ctx context.Context) error { return p.c.w.opt.Till.Tender(ctx, req) })
}

// notes are the quick-note buttons of a currency, in major units.
func notes(currency string) []int64 {
	if currency == "EUR" {
		return []int64{5, 10, 20, 50, 100}
	}
	return []int64{50, 100, 200, 500, 1000}
}

// openCash is the cash entry: what is due, quick notes that pay at once,
// "exact", and a keypad for any other amount handed over.
func (p *tenderPanel) openCash() {
	t := p.c.tr.T
	v := p.c.w.view
	p.close()
	p.buttons = map[string]*touchButton{}
	due := big(t("tender.due", map[string]string{"Amount": p.c.money(flow.RoundCash(v.Currency, v.Due))}), sizeDisplayS, widget.HighImportance)
	p.given = widget.NewLabelWithStyle(t("tender.given_hint"), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	p.given.SizeName = theme.SizeNameSubHeadingText

	quick := container.NewGridWithColumns(3)
	for _, n := range notes(v.Currency) {
		amount := flow.Money(n * 100)
		b := newButton(p.c.money(amount), nil, func() { p.send(flow.TenderRequest{Kind: flow.TenderCash, Amount: amount}) })
		b.min = fyne.NewSize(100, 64)
		p.buttons["cash."+strconv.FormatInt(n, 10)] = b
		quick.Add(b)
	}
	exact := newButton(t("tender.exact"), theme.ConfirmIcon(), func() { p.send(flow.TenderRequest{Kind: flow.TenderCash}) })
	exact.Importance = widget.HighImportance
	exact.min = fyne.NewSize(100, 64)
	p.buttons["cash.exact"] = exact
	quick.Add(exact)

	keys := container.NewGridWithColumns(3)
	for _, k := range []string{"7", "8", "9", "4", "5", "6", "1", "2", "3", ",", "0", "⌫"} {
		b := newButton(k, nil, func() { p.press(k) })
		if k == "⌫" {
			b.SetText("")
			b.SetIcon(theme.NavigateBackIcon())
		}
		b.min = fyne.NewSize(80, 56)
		p.buttons["cash.key."+k] = b
		keys.Add(b)
	}
	cancel := newButton(t("Cancel"), theme.CancelIcon(), p.close)
	ok := newButton(t("tender.take"), theme.ConfirmIcon(), func() {
		if amount, good := parseAmount(p.typed); good && amount > 0 {
			p.send(flow.TenderRequest{Kind: flow.TenderCash, Amount: amount})
		}
	})
	ok.Importance = widget.HighImportance
	cancel.min, ok.min = fyne.NewSize(160, 64), fyne.NewSize(160, 64)
	p.buttons["cash.cancel"], p.buttons["cash.ok"] = cancel, ok
	body := container.NewVBox(due, quick, widget.NewSeparator(), p.given, keys, container.NewGridWithColumns(2, cancel, ok))
	p.show(t("tender.cash_title"), body, fyne.NewSize(520, 640))
}

// press types one key of the cash amount (major units, "," before øre).
func (p *tenderPanel) press(k string) {
	switch {
	case k == "⌫":
		if p.typed != "" {
			p.typed = p.typed[:len(p.typed)-1]
		}
	case k == ",":
		if !strings.Contains(p.typed, ",") && len(p.typed) < 7 {
			p.typed += ","
		}
	default:
		if i := strings.IndexByte(p.typed, ','); (i < 0 && len(p.typed) < 6) || (i >= 0 && len(p.typed)-i <= 2) {
			p.typed += k
		}
	}
	if p.typed == "" {
		p.given.SetText(p.c.tr.T("tender.given_hint"))
		return
	}
	amount, _ := parseAmount(p.typed)
	p.given.SetText(p.c.tr.T("tender.given", map[string]string{"Amount": p.c.money(amount)}))
}

// parseAmount reads "200" or "199,5" as minor units.
func parseAmount(s string) (flow.Money, bool) {
	whole, frac, _ := strings.Cut(s, ",")
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	frac = (frac + "00")[:2]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	return flow.Money(w*100 + f), true
}

// openCard asks the cashier to charge what is due on the terminal and to
// confirm here once it has approved; the terminal's reference is optional.
func (p *tenderPanel) openCard() {
	t := p.c.tr.T
	v := p.c.w.view
	p.close()
	p.buttons = map[string]*touchButton{}
	msg := widget.NewLabel(t("tender.card_text", map[string]string{"Amount": p.c.money(v.Due)}))
	msg.Wrapping = fyne.TextWrapWord
	amount := big(p.c.money(v.Due), sizeDisplayM, widget.HighImportance)
	ref := widget.NewEntry()
	ref.SetPlaceHolder(t("tender.card_reference"))
	cancel := newButton(t("Cancel"), theme.CancelIcon(), p.close)
	ok := newButton(t("tender.card_approved"), theme.ConfirmIcon(), func() {
		p.send(flow.TenderRequest{Kind: flow.TenderCard, Amount: v.Due, Reference: ref.Text})
	})
	ok.Importance = widget.HighImportance
	cancel.min, ok.min = fyne.NewSize(160, 64), fyne.NewSize(200, 64)
	p.buttons["card.cancel"], p.buttons["card.ok"] = cancel, ok
	p.show(t("tender.card_title"), container.NewVBox(amount, msg, ref, container.NewGridWithColumns(2, cancel, ok)), fyne.NewSize(520, 360))
}

// openVoucher takes a gift voucher's or credit note's code, scanned into
// the field (a keyboard-wedge scanner types it) or typed.
func (p *tenderPanel) openVoucher() {
	t := p.c.tr.T
	p.close()
	p.buttons = map[string]*touchButton{}
	code := widget.NewEntry()
	code.SetPlaceHolder(t("tender.voucher_code"))
	p.code = code
	redeem := func() {
		if s := strings.TrimSpace(code.Text); s != "" {
			p.send(flow.TenderRequest{Kind: flow.TenderVoucher, Reference: s})
		}
	}
	code.OnSubmitted = func(string) { redeem() }
	cancel := newButton(t("Cancel"), theme.CancelIcon(), p.close)
	ok := newButton(t("tender.redeem"), theme.ConfirmIcon(), redeem)
	ok.Importance = widget.HighImportance
	cancel.min, ok.min = fyne.NewSize(160, 64), fyne.NewSize(160, 64)
	p.buttons["voucher.cancel"], p.buttons["voucher.ok"] = cancel, ok
	p.show(t("tender.voucher_title"), container.NewVBox(code, container.NewGridWithColumns(2, cancel, ok)), fyne.NewSize(520, 240))
	p.c.win.Canvas().Focus(code)
}

func (p *tenderPanel) show(title string, body fyne.CanvasObject, size fyne.Size) {
	p.dialog = dialog.NewCustomWithoutButtons(title, body, p.c.win)
	p.dialog.SetOnClosed(func() { p.dialog, p.buttons = nil, nil })
	p.dialog.Resize(size)
	p.dialog.Show()
}

// controls names the tender buttons for the window's control map.
func (p *tenderPanel) controls(main, over map[string]fyne.CanvasObject) {
	main["tender.cash"], main["tender.card"], main["tender.voucher"], main["tender.another"] = p.cash, p.card, p.voucher, p.another
	for n, b := range p.buttons {
		over["dialog."+n] = b
	}
}

// paidOtherwise thanks a customer who paid without Vipps (or partly with
// it), with the change to take, big.
func (d *customerDisplay) paidOtherwise(v flow.View, t func(string, ...map[string]string) string) fyne.CanvasObject {
	objs := []fyne.CanvasObject{big(t("display.thanks"), sizeDisplayXL, widget.SuccessImportance),
		big(formatMoney(v.Total+v.Rounding, v.Currency), sizeDisplayM, widget.MediumImportance)}
	if v.Change > 0 {
		objs = append(objs, big(t("tender.change", map[string]string{"Amount": formatMoney(v.Change, v.Currency)}), sizeDisplayXL, widget.HighImportance))
	}
	return centred(objs...)
}

// paidSoFar is the customer's view of a sale paid in parts.
func (d *customerDisplay) paidSoFar(v flow.View, t func(string, ...map[string]string) string) fyne.CanvasObject {
	l := big(t("tender.paid_due", map[string]string{"Paid": formatMoney(v.Paid, v.Currency), "Due": formatMoney(v.Due, v.Currency)}), sizeDisplayS, widget.HighImportance)
	l.Wrapping = fyne.TextWrapWord
	return l
}
