package ui

import (
	"context"
	"fmt"
	"strconv"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// rightPanelWidth keeps keypad and payment buttons the same size whatever
// the screen, so the cashier's hands learn where they are.
const rightPanelWidth = 400

// cashierWindow is the staff window: cart on the left with the latest
// notice under it, keypad and payment on the right, customer and manager
// tools on top.
type cashierWindow struct {
	w   *Windows
	tr  tr
	win fyne.Window

	storeName   *widget.Label
	customer    *widget.Label
	badge       *widget.Label
	enrol       *touchButton
	enrolStatus *widget.Label
	parked      *touchButton
	sales       *touchButton

	lines      *fyne.Container
	cartScroll *touchScroll
	lineQty    [][2]*touchButton // per cart line: − and +
	linesKey   string
	emptyCart  *widget.Label
	vat        *fyne.Container
	total      *widget.Label
	totalLabel *widget.Label

	search  *widget.Entry
	results *fyne.Container
	keypad  *Keypad

	payStatus  *widget.Label
	countdown  *widget.Label
	payHint    *widget.Label
	request    *touchButton
	qr         *touchButton
	cancelPay  *touchButton
	newSale    *touchButton
	voidSale   *touchButton
	park       *touchButton // park the open sale
	resume     *touchButton // the parked sales, to resume one
	parkRow    *fyne.Container
	settlement *widget.Label
	tender     *tenderPanel // cash, card, voucher, pay another way (tender.go)

	notice    *widget.Label
	flowSeq   int64        // Seq of the last notice of flow's shown, 0 none
	ownNotice bool         // a notice of the window's own shows (a refusal from around the checkout)
	ownSale   int64        // the sale it is about
	standing  *flow.Notice // shown whenever no other notice is (StandingNotice)

	ops *storeOps // nil without cashier login

	training    *widget.Label // the training-mode banner
	trainingBtn *touchButton  // the manager's switch; nil without store operations
	// confirmButtons are the open confirmation's buttons ("keep", "void").
	confirmButtons map[string]*touchButton

	club    clubCashier   // savings, points, bonus cheque (member_cashier.go)
	members *memberScreen // the member screen when open (member_screen.go)
}

func newCashierWindow(w *Windows) *cashierWindow {
	c := &cashierWindow{w: w, tr: w.tr(w.opt.Lang)}
	t := c.tr.T
	c.win = w.app.NewWindow(t("window.cashier", map[string]string{"Store": w.opt.StoreName}))

	// Top: store, customer, manager tools.
	c.storeName = widget.NewLabelWithStyle(w.opt.StoreName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// The store's name gives way to the tools: at 1024 px a long name is
	// cut with an ellipsis rather than push a button off the screen.
	c.storeName.Truncation = fyne.TextTruncateEllipsis
	c.customer = widget.NewLabel(t("customer.none"))
	c.badge = widget.NewLabel("")
	c.badge.Importance = widget.SuccessImportance
	c.badge.TextStyle.Bold = true
	c.enrol = newButton(t("enrol.button"), theme.ContentAddIcon(), func() { w.do(w.opt.Till.Enrol) })
	c.enrolStatus = widget.NewLabel("")
	c.club = newClubCashier(w, t)
	c.parked = newButton(t("parked.button"), theme.WarningIcon(), c.showParked)
	c.sales = newButton(t("sales.button"), theme.HistoryIcon(), c.showSales)
	tools := container.NewHBox(c.sales, c.parked)
	if w.opt.OnSettings != nil {
		tools.Add(newButton("", theme.SettingsIcon(), func() { w.opt.OnSettings(c.win) }))
	}
	if w.opt.Members != nil {
		// The club's star, as on the member badge: the tool row has no
		// room for another word at 1024 px.
		tools.Add(newButton("★", nil, c.showMembers))
	}
	if w.opt.StoreOps != nil {
		c.addStoreOps(tools, w.opt.StoreOps)
	}
	// The enrolment's progress shares the customer's row, on one line, so
	// the rows below never move when it shows.
	c.enrolStatus.Wrapping = fyne.TextWrapOff
	c.enrolStatus.Truncation = fyne.TextTruncateEllipsis
	// The training banner shares the customer's row too, so training mode
	// changes no layout.
	c.training = widget.NewLabelWithStyle(t("training.banner"), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	c.training.Importance = widget.DangerImportance
	c.training.Hide()
	who := container.NewBorder(nil, nil,
		container.NewHBox(widget.NewIcon(theme.AccountIcon()), c.customer, c.badge, c.club.remove, c.enrol, c.club.useCheque), c.training,
		container.NewStack(c.enrolStatus, c.club.join))
	// Two rows, so the customer's row has room at 1024 px whatever the
	// cashier tools: the store and tools, then who is paying.
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, tools, c.storeName), // the name takes what the tools leave
		who,
		widget.NewSeparator(),
	)

	// Centre: the cart.
	c.lines = container.NewVBox()
	c.emptyCart = widget.NewLabelWithStyle(t("cart.empty"), fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	c.vat = container.NewVBox()
	c.totalLabel = widget.NewLabelWithStyle(t("cart.total"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.totalLabel.SizeName = theme.SizeNameHeadingText
	c.total = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	c.total.SizeName = theme.SizeNameHeadingText
	c.tender = newTenderPanel(c)
	totals := container.NewVBox(widget.NewSeparator(), c.vat, c.club.points, c.club.savings, container.NewBorder(nil, nil, c.totalLabel, nil, c.total), c.tender.summary)
	c.cartScroll = newTouchScroll(c.lines)
	cart := container.NewBorder(nil, totals, nil, nil,
		container.NewStack(c.cartScroll, container.NewCenter(c.emptyCart)))

	// Right: search, keypad, payment.
	c.search = widget.NewEntry()
	c.search.SetPlaceHolder(t("search.placeholder"))
	c.search.OnChanged = c.searchChanged
	c.search.OnSubmitted = c.searchSubmitted
	c.results = container.NewVBox()
	c.results.Hide()
	c.keypad = NewKeypad(t("keypad.hint"), t("keypad.enter"), c.keypadEnter)

	c.payStatus = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	c.payStatus.SizeName = theme.SizeNameSubHeadingText
	c.payStatus.Wrapping = fyne.TextWrapWord
	c.countdown = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
	c.countdown.SizeName = theme.SizeNameSubHeadingText
	c.payHint = widget.NewLabel(t("pay.needs_customer"))
	c.payHint.Wrapping = fyne.TextWrapWord
	c.payHint.SizeName = theme.SizeNameCaptionText
	c.settlement = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	c.settlement.Wrapping = fyne.TextWrapWord
	c.request = bigButton(t("pay.request"), theme.MailSendIcon(), func() { w.do(w.opt.Till.RequestPayment) })
	c.qr = newButton(t("pay.qr"), theme.GridIcon(), func() { w.do(w.opt.Till.PayByQR) })
	c.cancelPay = newButton(t("pay.cancel"), theme.CancelIcon(), func() { w.do(w.opt.Till.CancelPayment) })
	c.cancelPay.Importance = widget.DangerImportance
	c.newSale = bigButton(t("sale.new"), theme.ContentAddIcon(), func() { w.do(w.opt.Till.NewSale) })
	c.voidSale = newButton(t("sale.void"), theme.DeleteIcon(), c.confirmVoid)
	// The buttons keep their place at the bottom; the payment's status
	// takes the room between them and the keypad, scrolling if a long
	// translation needs more, so nothing a finger aims for ever moves.
	status := container.NewVScroll(container.NewVBox(c.tender.change, c.payStatus, c.countdown, c.settlement, c.payHint))
	c.park = newButton(t("sale.park"), theme.MediaPauseIcon(), func() { w.do(w.opt.Till.ParkSale) })
	c.resume = newButton(t("sale.parked"), theme.MediaPlayIcon(), c.showParkedSales)
	// QR, park (or resume) and void share a row, so the tender buttons
	// fit above them at 1024×768; the grid lays out only the shown ones.
	c.parkRow = container.NewGridWithColumns(3, c.qr, c.park, c.resume, c.voidSale)
	buttons := container.NewVBox(c.request, c.tender.row, c.parkRow, c.cancelPay, c.tender.another, c.newSale)

	right := container.NewBorder(c.search, buttons, nil, nil,
		container.NewBorder(container.NewStack(container.NewVBox(c.keypad), container.NewVScroll(c.results)), nil, nil, nil, status))
	rightPanel := container.New(&fixedWidth{width: rightPanelWidth}, right)

	// Bottom: the latest notice.
	c.notice = widget.NewLabel("")
	c.notice.Wrapping = fyne.TextWrapWord
	c.notice.Truncation = fyne.TextTruncateEllipsis
	c.notice.TextStyle.Bold = true
	noticeArea := container.New(&fixedHeight{height: linesHeight(noticeLines, c.notice.TextStyle)}, c.notice)

	// The notice sits under the cart, beside the right panel, so however
	// long it is the keypad and the payment buttons keep their height.
	c.win.SetContent(container.NewBorder(top, nil, nil, rightPanel,
		container.NewBorder(nil, noticeArea, nil, nil, container.NewPadded(cart))))
	c.win.Resize(fyne.NewSize(1024, 768))
	c.listenForKeys()
	return c
}

// fixedWidth lays out one object at a set width and its own height.
type fixedWidth struct{ width float32 }

func (l *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width, h)
}

func (l *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// noticeLines is how many lines of a notice show; a longer one ends in "…".
// The room is kept whether or not a notice shows, so the window's layout
// never changes under the cashier's finger.
const noticeLines = 2

// linesHeight is the height of a label showing n lines of body text.
func linesHeight(n int, style fyne.TextStyle) float32 {
	one := widget.NewLabelWithStyle("X", fyne.TextAlignLeading, style).MinSize().Height
	line := fyne.MeasureText("X", theme.TextSize(), style).Height
	return one + float32(n-1)*line
}

// fixedHeight lays out one object at a set height and any width.
type fixedHeight struct{ height float32 }

func (l *fixedHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w := float32(0)
	for _, o := range objs {
		w = max(w, o.MinSize().Width)
	}
	return fyne.NewSize(w, l.height)
}

func (l *fixedHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// listenForKeys hands keys no text field took to the wedge-scanner decoder,
// or, without one, to the keypad so a plain keyboard works too.
func (c *cashierWindow) listenForKeys() {
	send := func(r rune) {
		if c.w.opt.OnKey != nil {
			c.w.opt.OnKey(r, c.w.opt.Now())
			return
		}
		c.typed(r)
	}
	c.win.Canvas().SetOnTypedRune(send)
	c.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			send('\r')
		case fyne.KeyBackspace:
			send('\b')
		}
	})
}

// typed takes a key a person typed: the PIN while the login screen shows
// (never the sale's keypad hidden behind it), else the keypad.
func (c *cashierWindow) typed(r rune) {
	if !(unicode.IsDigit(r) || r == '\r' || r == '\b' || r == '*') {
		return
	}
	if c.ops != nil && c.ops.gated {
		if r != '*' {
			c.ops.screen.Press(r)
		}
		return
	}
	c.keypad.Press(r)
}

func (c *cashierWindow) money(m flow.Money) string {
	return formatMoney(m, c.w.view.Currency)
}

func (c *cashierWindow) render(v flow.View) {
	t := c.tr.T
	if v.Training != c.training.Visible() {
		if v.Training {
			c.training.Show()
		} else {
			c.training.Hide()
		}
	}
	if c.trainingBtn != nil {
		if v.Training {
			c.trainingBtn.SetText(t("training.stop"))
		} else {
			c.trainingBtn.SetText(t("training.start"))
		}
	}
	c.renderCustomer(v)
	c.club.render(v, t, c.money)
	c.renderLines(v)

	c.vat.RemoveAll()
	for _, r := range v.VAT {
		l := widget.NewLabelWithStyle(t("cart.vat_line", map[string]string{"Rate": strconv.Itoa(r.Rate), "Gross": c.money(r.Gross)})+":  "+c.money(r.VAT), fyne.TextAlignTrailing, fyne.TextStyle{})
		l.SizeName = theme.SizeNameCaptionText
		c.vat.Add(l)
	}
	c.total.SetText(c.money(v.Total))

	c.renderPayment(v)
	// Showing and hiding panels changes their sizes; lay the window out
	// again so the keypad is not squeezed by a payment panel that is gone.
	c.win.Content().Refresh()

	if v.Parked > 0 {
		c.parked.SetText(fmt.Sprintf("%s (%d)", t("parked.button"), v.Parked))
		c.parked.Importance = widget.DangerImportance
	} else {
		c.parked.SetText(t("parked.button"))
		c.parked.Importance = widget.LowImportance
	}
	c.parked.Refresh()

	switch {
	case v.Notice != nil && v.Notice.Seq != c.flowSeq:
		c.flowSeq, c.ownNotice = v.Notice.Seq, false
		c.setNotice(v.Notice)
	case v.Notice == nil && c.flowSeq != 0:
		// Flow cleared it: a new sale, or it was there long enough.
		c.flowSeq = 0
		if !c.ownNotice {
			c.setNotice(nil)
		}
	}
	if c.ownNotice && v.SaleID != c.ownSale {
		// The window's own notice goes with the sale it was about.
		c.ownNotice = false
		c.setNotice(nil)
	}
}

// showNotice shows a notice for an intent that failed: flow's (already on
// its way in a View, unless that came first) or the window's own.
func (c *cashierWindow) showNotice(n *flow.Notice) {
	if n.Seq > 0 {
		if n.Seq > c.flowSeq {
			c.flowSeq, c.ownNotice = n.Seq, false
			c.setNotice(n)
		}
		return
	}
	c.ownNotice, c.ownSale = true, c.w.view.SaleID
	c.setNotice(n)
}

// setNotice shows n; nil clears the notice.
func (c *cashierWindow) setNotice(n *flow.Notice) {
	if n == nil {
		n = c.standing
	}
	if n == nil {
		c.notice.SetText("")
		return
	}
	c.notice.SetText(c.tr.Notice(n))
	switch n.Kind {
	case flow.NoticeError:
		c.notice.Importance = widget.DangerImportance
	case flow.NoticeWarning:
		c.notice.Importance = widget.WarningImportance
	default:
		c.notice.Importance = widget.MediumImportance
	}
	c.notice.Refresh()
}

func (c *cashierWindow) renderCustomer(v flow.View) {
	t := c.tr.T
	cu := v.Customer
	c.enrol.Hide()
	c.enrolStatus.Hide()
	if cu == nil {
		c.customer.SetText(t("customer.none"))
		c.badge.Hide()
		return
	}
	name := cu.MaskedPhone
	if cu.FirstName != "" {
		name = cu.FirstName + "  " + cu.MaskedPhone
	}
	if cu.CheckedIn {
		name += " · " + t("customer.checked_in")
	}
	c.customer.SetText(name)
	c.badge.Show()
	if cu.Member {
		c.badge.SetText("★ " + t("customer.member"))
		c.badge.Importance = widget.SuccessImportance
	} else {
		c.badge.SetText(t("customer.guest"))
		c.badge.Importance = widget.LowImportance
	}
	c.badge.Refresh()
	if e := v.Enrolment; e != nil {
		c.enrolStatus.Show()
		c.enrolStatus.SetText(t("enrol."+string(e.Status), map[string]string{"Code": e.BindingMessage}))
		if e.Status == flow.EnrolmentPending {
			c.enrolStatus.Importance = widget.WarningImportance
		} else if e.Status == flow.EnrolmentDone {
			c.enrolStatus.Importance = widget.SuccessImportance
		} else {
			c.enrolStatus.Importance = widget.DangerImportance
		}
		c.enrolStatus.Refresh()
	}
	if v.CanEnrol {
		c.enrol.Show()
	}
}

// renderLines rebuilds the cart rows only when they changed, so a view that
// only moves the payment along does not rebuild the list under a finger.
func (c *cashierWindow) renderLines(v flow.View) {
	key := fmt.Sprint(v.CanChangeLines, v.Currency, v.Lines, c.tr.T("cart.empty"))
	if key == c.linesKey {
		return
	}
	c.linesKey = key
	grew := len(v.Lines) > len(c.lineQty)
	c.lines.RemoveAll()
	c.lineQty = c.lineQty[:0]
	locked := !v.CanChangeLines
	for i, l := range v.Lines {
		c.lines.Add(c.lineRow(i, l, locked))
	}
	if grew {
		// A new line is the one the cashier just scanned: show it.
		c.cartScroll.showEnd()
	}
	if len(v.Lines) == 0 {
		c.emptyCart.SetText(c.tr.T("cart.empty")) // names the brand of the day
		c.emptyCart.Show()
	} else {
		c.emptyCart.Hide()
	}
}

func (c *cashierWindow) lineRow(i int, l flow.LineView, locked bool) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(l.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	detail := c.tr.T("cart.each", map[string]string{"Price": c.money(l.UnitPrice)})
	sub := widget.NewLabel(detail)
	sub.SizeName = theme.SizeNameCaptionText
	sub.Alignment = fyne.TextAlignTrailing
	minus := newButton("", theme.ContentRemoveIcon(), func() {
		c.w.do(func(ctx context.Context) error { return c.w.opt.Till.SetQuantity(ctx, i, l.Quantity-1) })
	})
	plus := newButton("", theme.ContentAddIcon(), func() {
		c.w.do(func(ctx context.Context) error { return c.w.opt.Till.SetQuantity(ctx, i, l.Quantity+1) })
	})
	c.lineQty = append(c.lineQty, [2]*touchButton{minus, plus})
	if locked {
		minus.Disable()
		plus.Disable()
	}
	qty := widget.NewLabelWithStyle(strconv.Itoa(l.Quantity), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	total := widget.NewLabelWithStyle(c.money(l.Total), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	amount := container.New(&fixedWidth{width: 150}, total)
	controls := container.NewHBox(minus, container.New(&fixedWidth{width: 44}, qty), plus, amount)
	// One row a fingertip high: the name, its unit price beside it, then
	// − quantity + and the line's total.
	return container.NewBorder(nil, widget.NewSeparator(), nil, controls, withSaving(container.NewBorder(nil, nil, nil, sub, name), l, c.tr.T, c.money))
}

func (c *cashierWindow) renderPayment(v flow.View) {
	t := c.tr.T
	p := v.Payment
	active := p != nil && (p.Status == flow.PaymentRequesting || p.Status == flow.PaymentWaiting)
	finished := v.Stage == flow.StagePaid || v.Stage == flow.StageCancelled

	show := func(o fyne.CanvasObject, on bool) {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
	// Which buttons show follows the stage; whether they work is flow's
	// answer in the View.
	show(c.request, !active && !finished)
	c.request.setEnabled(v.CanRequestPayment)
	show(c.payHint, !active && v.CanPayByQR && !v.CanRequestPayment && v.Customer == nil)
	show(c.qr, !finished)
	c.qr.setEnabled(v.CanPayByQR)
	show(c.voidSale, v.CanVoid)
	show(c.park, v.CanPark)
	show(c.resume, v.CanResume)
	show(c.parkRow, !finished || v.CanResume)
	c.resume.SetText(fmt.Sprintf("%s (%d)", t("sale.parked"), v.ParkedSales))
	show(c.cancelPay, active)
	c.cancelPay.setEnabled(v.CanCancel)
	show(c.newSale, v.CanNewSale && finished)
	c.tender.render(v, active, finished)
	// While a payment is out or done the cart is locked: the keypad and
	// search give their room to the payment panel.
	busy := v.Stage == flow.StagePaying || v.Stage == flow.StagePaid
	show(c.search, !busy)
	if busy {
		c.showResults(nil, "")
		c.keypad.Hide()
	} else if c.results.Hidden {
		c.keypad.Show()
	}

	c.payStatus.Importance = widget.MediumImportance
	switch {
	case p == nil:
		c.payStatus.SetText("")
	case p.Cancelling:
		c.payStatus.SetText(t("pay.cancelling"))
	case p.Status == flow.PaymentWaiting && p.QR != "":
		c.payStatus.SetText(t("pay.waiting_qr"))
	case p.Status == flow.PaymentWaiting:
		c.payStatus.SetText(t("pay.waiting_push"))
	default:
		c.payStatus.SetText(t("pay." + string(p.Status)))
		switch p.Status {
		case flow.PaymentAuthorized:
			c.payStatus.Importance = widget.SuccessImportance
		case flow.PaymentDeclined, flow.PaymentExpired, flow.PaymentFailed:
			c.payStatus.Importance = widget.DangerImportance
		}
	}
	if p != nil && p.Status == flow.PaymentAuthorized {
		c.payStatus.SetText(t("pay.authorized") + " · " + c.money(p.Amount))
	}
	c.payStatus.Refresh()
	show(c.payStatus, p != nil)

	if v.Stage == flow.StagePaid && v.Settlement != "" {
		s := t("settlement." + string(v.Settlement))
		if v.ReceiptNumber != "" {
			s = t("sale.receipt", map[string]string{"Receipt": v.ReceiptNumber}) + " · " + s
		}
		c.settlement.SetText(s)
		c.settlement.Show()
	} else {
		c.settlement.Hide()
	}
	c.tick(v)
}

// tick redraws the countdown from the request's expiry and the clock.
func (c *cashierWindow) tick(v flow.View) {
	p := v.Payment
	if p == nil || p.Status != flow.PaymentWaiting || p.ExpiresAt.IsZero() {
		c.countdown.Hide()
		return
	}
	left := p.ExpiresAt.Sub(c.w.opt.Now()).Round(time.Second)
	if left < 0 {
		left = 0
	}
	c.countdown.SetText(c.tr.T("pay.countdown", map[string]string{
		"Time": fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60),
	}))
	c.countdown.Show()
}

// keypadEnter: a number as long as a GTIN-8 or more is an item; a shorter
// one without × sets the quantity of the last line.
func (c *cashierWindow) keypadEnter(code string, qty int) {
	till := c.w.opt.Till
	if len(code) >= 8 {
		if qty == 0 {
			qty = 1
		}
		c.w.do(func(ctx context.Context) error { return till.AddProduct(ctx, code, qty) })
		return
	}
	n, err := strconv.Atoi(code)
	last := len(c.w.view.Lines) - 1
	if err != nil || last < 0 || qty != 0 {
		return
	}
	c.w.do(func(ctx context.Context) error { return till.SetQuantity(ctx, last, n) })
}

func (c *cashierWindow) searchChanged(q string) {
	if len([]rune(q)) < 2 {
		c.showResults(nil, q)
		return
	}
	load(c.w, func(ctx context.Context) ([]flow.Product, error) {
		return c.w.opt.Till.SearchProducts(ctx, q, 8)
	}, func(ps []flow.Product, err error) {
		if c.search.Text != q { // the cashier typed on; an older answer
			return
		}
		c.showResults(ps, q)
	})
}

// searchSubmitted: Enter in the search field adds the only match, or the
// typed number when it looks like a GTIN (a wedge scanner while the
// field had focus).
func (c *cashierWindow) searchSubmitted(q string) {
	if len(q) >= 8 && isDigits(q) {
		c.pick(q)
		return
	}
	if len(c.results.Objects) == 1 {
		if b, ok := c.results.Objects[0].(*touchButton); ok {
			b.OnTapped()
		}
	}
}

func (c *cashierWindow) showResults(ps []flow.Product, q string) {
	c.results.RemoveAll()
	if q == "" || len([]rune(q)) < 2 {
		c.results.Hide()
		c.keypad.Show()
		return
	}
	for _, p := range ps {
		p := p
		b := newButton(p.Name+"   "+c.money(p.Price), nil, func() { c.pick(p.GTIN) })
		b.Alignment = widget.ButtonAlignLeading
		c.results.Add(b)
	}
	if len(ps) == 0 {
		c.results.Add(widget.NewLabel(c.tr.T("search.none")))
	}
	c.results.Show()
	c.keypad.Hide()
}

func (c *cashierWindow) pick(gtin string) {
	c.search.SetText("")
	c.showResults(nil, "")
	c.w.do(func(ctx context.Context) error { return c.w.opt.Till.AddProduct(ctx, gtin, 1) })
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
