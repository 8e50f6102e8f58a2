package ui

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// customerDisplay is the screen facing the customer. It shows the sale as
// it happens and tells the customer what to do on their phone. It has no
// buttons, and of the customer it shows at most the first name.
type customerDisplay struct {
	w   *Windows
	win fyne.Window

	header *canvas.Text
	body   *fyne.Container
	qrKey  string
	qrImg  *canvas.Image
}

func newCustomerDisplay(w *Windows) *customerDisplay {
	d := &customerDisplay{w: w}
	t := d.tr(flow.View{}).T
	d.win = w.app.NewWindow(t("window.customer", map[string]string{"Store": w.opt.StoreName}))
	d.header = canvas.NewText(w.opt.StoreName, color.White)
	d.header.TextSize = 28
	d.header.TextStyle.Bold = true
	bar := container.NewStack(canvas.NewRectangle(VippsOrange), container.NewPadded(d.header))
	d.body = container.NewStack()
	d.win.SetContent(container.NewBorder(bar, nil, nil, nil, container.NewPadded(d.body)))
	d.win.Resize(fyne.NewSize(1024, 768))
	// A customer poking at the window's close button must not take the
	// display away mid-sale; it closes with the cashier window.
	d.win.SetCloseIntercept(func() {})
	return d
}

// tr speaks the member's language when the till knows it.
func (d *customerDisplay) tr(v flow.View) tr {
	l := d.w.opt.CustomerLang
	if v.Customer != nil && pickLang(v.Customer.Lang) != "" {
		l = pickLang(v.Customer.Lang)
	}
	if l == "" {
		l = d.w.opt.Lang
	}
	return d.w.tr(l)
}

func (d *customerDisplay) render(v flow.View) {
	header := d.w.opt.StoreName
	if v.Training {
		header += " · " + d.tr(v).T("training.banner")
	}
	if d.header.Text != header {
		d.header.Text = header
		d.header.Refresh()
	}
	d.body.Objects = []fyne.CanvasObject{d.screen(v)}
	d.body.Refresh()
}

// screen picks what the customer needs to see now, most urgent first.
func (d *customerDisplay) screen(v flow.View) fyne.CanvasObject {
	t := d.tr(v).T
	money := func(m flow.Money) string { return formatMoney(m, v.Currency) }
	p := v.Payment
	switch {
	case v.Stage == flow.StagePaid && (v.Payment == nil || v.Payment.Status != flow.PaymentAuthorized):
		return d.paidOtherwise(v, t)

	case v.Stage == flow.StagePaid:
		status := "display.receipt_later"
		switch v.Settlement {
		case flow.SettlementQueued:
			status = "display.receipt_queued"
		case flow.SettlementDone:
			status = "display.receipt_done"
		}
		thanks := []fyne.CanvasObject{big(t("display.thanks"), sizeDisplayXL, widget.SuccessImportance),
			big(money(v.Total), sizeDisplayM, widget.MediumImportance)}
		thanks = append(thanks, d.clubPaid(v, t)...)
		return centred(append(thanks, big(t(status), sizeDisplayS, widget.MediumImportance))...)

	case p != nil && p.QR != "" && (p.Status == flow.PaymentWaiting || p.Status == flow.PaymentRequesting):
		return container.NewBorder(nil, nil, nil, d.cart(v, t),
			centred(d.qr(p.QR), big(t("display.scan_qr"), sizeDisplayS, widget.MediumImportance),
				big(money(p.Amount), sizeDisplayL, widget.HighImportance)))

	case p != nil && p.Status == flow.PaymentRequesting:
		return container.NewBorder(nil, nil, nil, d.cart(v, t),
			centred(big(t("display.preparing"), sizeDisplayM, widget.MediumImportance), big(money(p.Amount), sizeDisplayL, widget.HighImportance)))

	case p != nil && p.Status == flow.PaymentWaiting:
		return container.NewBorder(nil, nil, nil, d.cart(v, t),
			centred(phoneIcon(), big(t("display.approve"), sizeDisplayL, widget.MediumImportance),
				big(money(p.Amount), sizeDisplayL, widget.HighImportance)))

	case v.Enrolment != nil && v.Enrolment.Status == flow.EnrolmentPending:
		return container.NewBorder(nil, nil, nil, d.cart(v, t),
			centred(big(t("display.enrol_title"), sizeDisplayM, widget.MediumImportance),
				big(t("display.enrol_code"), sizeDisplayS, widget.MediumImportance),
				big(v.Enrolment.BindingMessage, sizeDisplayXL, widget.HighImportance)))

	case v.Stage == flow.StageOpen:
		return container.NewBorder(d.greeting(v, t), nil, nil, nil, d.cart(v, t))
	}
	return centred(big(t("display.welcome", map[string]string{"Store": d.w.opt.StoreName}), sizeDisplayL, widget.MediumImportance),
		big(t("display.welcome_hint"), sizeDisplayS, widget.MediumImportance))
}

// greeting heads the cart: who we think the customer is, and how the last
// payment attempt went.
func (d *customerDisplay) greeting(v flow.View, t func(string, ...map[string]string) string) fyne.CanvasObject {
	var lines []fyne.CanvasObject
	if c := v.Customer; c != nil {
		name := map[string]string{"Name": c.FirstName}
		switch {
		case v.Enrolment != nil && v.Enrolment.Status == flow.EnrolmentDone && c.FirstName != "":
			lines = append(lines, big(t("display.enrolled", name), sizeDisplayM, widget.SuccessImportance))
		case v.Enrolment != nil && v.Enrolment.Status == flow.EnrolmentDone:
			lines = append(lines, big(t("display.enrolled_anon"), sizeDisplayM, widget.SuccessImportance))
		case c.Member && c.FirstName != "":
			lines = append(lines, big(t("display.hi_member", name), sizeDisplayM, widget.HighImportance))
		case !c.Member:
			lines = append(lines, big(t("display.hi_guest"), sizeDisplayM, widget.MediumImportance))
		}
		if len(c.Consented) > 0 {
			// What the new member just agreed to in the app, in its own
			// words: no surprise when the first offer arrives.
			lines = append(lines, big(t("display.consented"), sizeDisplayS, widget.MediumImportance))
			for _, text := range c.Consented {
				lines = append(lines, big("✓ "+text, sizeDisplayS, widget.MediumImportance))
			}
		}
	}
	lines = append(lines, d.clubGreeting(v, t)...)
	if p := v.Payment; p != nil && (p.Status == flow.PaymentDeclined || p.Status == flow.PaymentExpired || p.Status == flow.PaymentFailed) {
		lines = append(lines, big(t("display.not_completed"), sizeDisplayS, widget.DangerImportance))
	}
	return container.NewVBox(lines...)
}

// cart lists what has been rung up, newest at the bottom, and the total.
func (d *customerDisplay) cart(v flow.View, t func(string, ...map[string]string) string) fyne.CanvasObject {
	rows := container.NewVBox()
	for _, l := range v.Lines {
		name := l.Name
		if l.Quantity != 1 {
			name = strconv.Itoa(l.Quantity) + " × " + name
		}
		n := widget.NewLabel(name)
		n.Truncation = fyne.TextTruncateEllipsis
		amount := widget.NewLabelWithStyle(formatMoney(l.Total, v.Currency), fyne.TextAlignTrailing, fyne.TextStyle{})
		rows.Add(container.NewBorder(nil, nil, nil, amount, n))
		if l.Discount != 0 {
			disc := widget.NewLabelWithStyle(lineSaving(l, t, func(m flow.Money) string { return formatMoney(m, v.Currency) }), fyne.TextAlignTrailing, fyne.TextStyle{Italic: true})
			disc.Importance = widget.SuccessImportance
			rows.Add(disc)
		}
	}
	// The newest line is the one the customer watches for.
	scroll := newTouchScroll(rows)
	scroll.follow = true
	label, sum := big(t("cart.total"), sizeDisplayM, widget.MediumImportance), big(formatMoney(v.Total, v.Currency), sizeDisplayM, widget.MediumImportance)
	label.Wrapping, sum.Wrapping = fyne.TextWrapOff, fyne.TextWrapOff
	total := container.NewBorder(nil, nil, label, sum)
	if v.Paid > 0 && v.Stage == flow.StageOpen {
		total = container.NewVBox(total, d.paidSoFar(v, t))
	}
	return container.New(&fixedWidth{width: 400}, container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), total), nil, nil, scroll))
}

// qr renders the payment link once per link; redrawing it on every view
// would make it flicker while the customer aims the camera.
func (d *customerDisplay) qr(content string) fyne.CanvasObject {
	if content != d.qrKey || d.qrImg == nil {
		d.qrKey = content
		d.qrImg = qrImage(content, 360)
	}
	return d.qrImg
}

func phoneIcon() fyne.CanvasObject {
	img := canvas.NewImageFromResource(theme.NewPrimaryThemedResource(theme.MailSendIcon()))
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSquareSize(120))
	return img
}

// big is display text: word-wrapped so a long translation never widens
// the window, coloured by importance (High is Vipps orange).
func big(s string, size fyne.ThemeSizeName, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(s)
	l.SizeName = size
	l.Importance = imp
	l.Alignment = fyne.TextAlignCenter
	l.Wrapping = fyne.TextWrapWord
	l.TextStyle.Bold = size != sizeDisplayS
	return l
}

func centred(objs ...fyne.CanvasObject) fyne.CanvasObject {
	items := append([]fyne.CanvasObject{layout.NewSpacer()}, objs...)
	items = append(items, layout.NewSpacer())
	return container.NewVBox(items...)
}
