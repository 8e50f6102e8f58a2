package hardware

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Receipt is everything printed on a till receipt. Amounts are in minor
// units (øre/cent) including VAT; the caller computes them, the printer only
// lays them out.
type Receipt struct {
	StoreName     string
	StoreAddress  string
	OrgNumber     string
	POSID         string
	ReceiptNumber string
	Time          time.Time // printed in its own location
	Currency      string    // NOK, DKK or EUR
	Lines         []ReceiptLine
	VAT           []VATRow
	Total         int64
	MemberName    string // the member's first name; "" for no member
	MemberSaved   int64  // what the member saved for being one
	Points        int64  // club points the sale earned
	PaymentMethod string // e.g. "Vipps"
	PaymentRef    string // the Vipps payment reference
	QR            string // content of the QR code at the bottom; "" for none
	Kind          ReceiptKind
	Text          ReceiptText
}

// ReceiptKind is what the receipt is, and so how it is marked
// (kassasystemforskrifta §§ 2-8-4 … 2-8-7). The zero value is a sales receipt.
type ReceiptKind string

const (
	KindSale        ReceiptKind = "sale"        // "Salgskvittering"
	KindCopy        ReceiptKind = "copy"        // "Salgskvittering" and "KOPI" in large type
	KindReturn      ReceiptKind = "return"      // "Returkvittering"
	KindProvisional ReceiptKind = "provisional" // "IKKJE KVITTERING FOR KJØP" in large type
	KindTraining    ReceiptKind = "training"    // "IKKJE KVITTERING FOR KJØP" in large type
	KindDelivery    ReceiptKind = "delivery"    // "IKKJE KVITTERING FOR KJØP" in large type
)

// notProof: the receipt must say it is no receipt for a purchase.
func (k ReceiptKind) notProof() bool {
	return k == KindProvisional || k == KindTraining || k == KindDelivery
}

// ReceiptLine is one sold (or returned) item.
type ReceiptLine struct {
	Name      string
	Quantity  int
	UnitPrice int64 // incl. VAT, before discount
	Discount  int64 // total discount on the line, positive
	// DiscountText says why ("medlemspris, 3 for 2"); "" prints the
	// receipt's word for a discount.
	DiscountText string
	Total        int64 // incl. VAT, after discount
	VATRate      int   // hundredths of a percent: 2500 = 25 %, 2550 = 25.5 %
}

// VATRow is one line of the VAT summary.
type VATRow struct {
	Rate  int   // hundredths of a percent
	Base  int64 // excl. VAT
	VAT   int64
	Total int64 // incl. VAT
}

// ReceiptText holds the receipt's fixed words; the zero value prints
// Norwegian. The app fills it from its translations for da/fi/en.
type ReceiptText struct {
	Receipt, Copy, Return, OrgNo, POS, Discount, Total string
	// Headings of each kind and the mark of receipts that prove no purchase.
	Sale, Provisional, Training, Delivery, NotProof string
	VATHeader                                       [4]string // rate, base, VAT, incl. VAT
	Member, PaidWith, PaymentRef, Thanks            string
	// The club's lines: what the member saved, the points the sale earned.
	MemberSaved, Points string
	Decimal, Group      rune // ',' and ' ' if zero
}

// NorwegianText is the default wording; the headings and marks are the
// regulation's own words.
var NorwegianText = ReceiptText{
	Receipt: "Kvittering", Copy: "KOPI", Return: "Returkvittering", OrgNo: "Org.nr.", POS: "Kasse",
	Discount: "Rabatt", Total: "TOTALT",
	Sale: "Salgskvittering", Provisional: "Foreløpig kvittering", Training: "Treningskvittering",
	Delivery: "Utleveringskvittering", NotProof: "IKKJE KVITTERING FOR KJØP",
	VATHeader: [4]string{"MVA-sats", "Grunnlag", "MVA", "Sum"},
	Member:    "Medlem", PaidWith: "Betalt med", PaymentRef: "Transaksjons-ID", Thanks: "Takk for handelen!",
	MemberSaved: "Du sparte som medlem", Points: "Opptjente poeng",
	Decimal: ',', Group: ' ',
}

// heading is the receipt's title for its kind.
func (t ReceiptText) heading(k ReceiptKind) string {
	switch k {
	case KindReturn:
		return t.Return
	case KindProvisional:
		return t.Provisional
	case KindTraining:
		return t.Training
	case KindDelivery:
		return t.Delivery
	}
	return t.Sale
}

// FormatOrgNumber writes a Norwegian organisation number in groups of
// three ("999 999 999"); anything else is left as it is.
func FormatOrgNumber(n string) string {
	if len(n) != 9 || strings.Trim(n, "0123456789") != "" {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

// ESC/POS commands (Epson's reference, implemented by practically every
// thermal receipt printer).
var (
	escInit        = []byte{0x1b, '@'}
	escCodePage865 = []byte{0x1b, 't', 5} // PC865 Nordic: æ ø å Æ Ø Å
	escAlignLeft   = []byte{0x1b, 'a', 0}
	escAlignCenter = []byte{0x1b, 'a', 1}
	escBoldOn      = []byte{0x1b, 'E', 1}
	escBoldOff     = []byte{0x1b, 'E', 0}
	gsSizeNormal   = []byte{0x1d, '!', 0x00}
	gsSizeDouble   = []byte{0x1d, '!', 0x11} // double width and height
	gsSizeTall     = []byte{0x1d, '!', 0x01} // double height, full line width
	gsCutAfterFeed = []byte{0x1d, 'V', 66, 3}
	// ESC p: pulse drawer pin 2 for 2×25 ms on, 2×250 ms off, as most
	// drawers on the printer's DK port expect.
	escKickDrawer = []byte{0x1b, 'p', 0, 25, 250}
)

// encodeReceipt lays the receipt out for a printer width characters wide
// and returns the ESC/POS byte stream, ending with a cut.
func encodeReceipt(r Receipt, width int) []byte {
	if width <= 0 {
		width = 42
	}
	if r.Text.Receipt == "" {
		r.Text = NorwegianText
	}
	if r.Text.Decimal == 0 {
		r.Text.Decimal, r.Text.Group = ',', ' '
	}
	e := &escpos{width: width}
	t := r.Text
	money := func(v int64) string { return formatMoney(v, t.Decimal, t.Group) }

	e.raw(escInit, escCodePage865, escAlignCenter, escBoldOn, gsSizeDouble)
	e.line(r.StoreName)
	e.raw(gsSizeNormal, escBoldOff)
	e.line(r.StoreAddress)
	if r.OrgNumber != "" {
		e.line(t.OrgNo + " " + FormatOrgNumber(r.OrgNumber) + " MVA")
	}
	e.line("")
	e.raw(escBoldOn, gsSizeTall)
	e.line(t.heading(r.Kind))
	e.raw(gsSizeNormal, escBoldOff)
	// A copy, and a receipt that proves no purchase, are marked in double
	// width and height while every amount on them is printed at normal
	// size: the mark is twice as large as the amounts (§§ 2-8-6, 2-8-7).
	mark := ""
	switch {
	case r.Kind == KindCopy:
		mark = t.Copy
	case r.Kind.notProof():
		mark = t.NotProof
	}
	large := mark != ""
	if large {
		e.big(mark)
	}
	e.raw(escAlignLeft)
	e.line("")
	e.pair(t.Receipt+" "+r.ReceiptNumber, t.POS+" "+r.POSID)
	e.line(r.Time.Format("02.01.2006 15:04"))
	e.rule()
	for _, l := range r.Lines {
		e.item(l.Name, money(l.Total))
		if l.Quantity != 1 {
			e.line(fmt.Sprintf("  %d x %s", l.Quantity, money(l.UnitPrice)))
		}
		if l.Discount != 0 {
			why := t.Discount
			if l.DiscountText != "" {
				why = l.DiscountText
			}
			e.line(fmt.Sprintf("  %s -%s", why, money(l.Discount)))
		}
	}
	e.rule()
	if large {
		e.raw(escBoldOn)
	} else {
		e.raw(escBoldOn, gsSizeTall)
	}
	e.pair(t.Total+" "+r.Currency, money(r.Total))
	e.raw(gsSizeNormal, escBoldOff)
	if large {
		e.big(mark)
		e.raw(escAlignLeft)
	}
	if len(r.VAT) > 0 {
		e.line("")
		h := t.VATHeader
		e.columns(h[0], h[1], h[2], h[3])
		for _, v := range r.VAT {
			e.columns(formatRate(v.Rate, t.Decimal), money(v.Base), money(v.VAT), money(v.Total))
		}
	}
	e.line("")
	if r.PaymentMethod != "" {
		e.line(t.PaidWith + " " + r.PaymentMethod)
	}
	if r.PaymentRef != "" {
		// The Vipps reference is the payment's transaction id.
		if utf8.RuneCountInString(t.PaymentRef+": "+r.PaymentRef) <= e.width {
			e.line(t.PaymentRef + ": " + r.PaymentRef)
		} else {
			e.line(t.PaymentRef + ":")
			e.line(r.PaymentRef)
		}
	}
	if r.MemberName != "" {
		e.line(t.Member + ": " + r.MemberName)
	}
	if r.MemberSaved > 0 && t.MemberSaved != "" {
		e.pair(t.MemberSaved, money(r.MemberSaved))
	}
	if r.Points != 0 && t.Points != "" {
		e.pair(t.Points, fmt.Sprint(r.Points))
	}
	e.raw(escAlignCenter)
	if r.QR != "" {
		e.line("")
		e.qr(r.QR)
	}
	e.line("")
	e.line(t.Thanks)
	e.raw(escAlignLeft, gsCutAfterFeed)
	return e.buf.Bytes()
}

// escpos builds the byte stream, text in code page 865.
type escpos struct {
	buf   bytes.Buffer
	width int
}

func (e *escpos) raw(cmds ...[]byte) {
	for _, c := range cmds {
		e.buf.Write(c)
	}
}

// line prints s, cut to the paper width. Control characters in shop data
// must never reach the printer as commands, and characters CP865 lacks
// (€, emoji) print as '?' rather than the encoder's SUB byte.
func (e *escpos) line(s string) {
	for _, r := range cut(s, e.width) {
		switch b, ok := charmap.CodePage865.EncodeRune(r); {
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			e.buf.WriteByte(' ')
		case ok:
			e.buf.WriteByte(b)
		default:
			e.buf.WriteByte('?')
		}
	}
	e.buf.WriteByte('\n')
}

// big prints s centred in double width and height, word-wrapped to half
// the paper's characters, and returns to normal size.
func (e *escpos) big(s string) {
	half := e.width / 2
	e.raw(escAlignCenter, escBoldOn, gsSizeDouble)
	cur := ""
	for _, w := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = w
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) <= half:
			cur += " " + w
		default:
			e.line(cut(cur, half))
			cur = w
		}
	}
	if cur != "" {
		e.line(cut(cur, half))
	}
	e.raw(gsSizeNormal, escBoldOff)
}

func (e *escpos) rule() { e.line(strings.Repeat("-", e.width)) }

// pair prints left and right on one line, shortening left if needed; an
// amount too wide for the paper gets a line of its own.
func (e *escpos) pair(left, right string) {
	r := utf8.RuneCountInString(right)
	if r+1 > e.width {
		if left != "" {
			e.line(left)
		}
		e.line(right)
		return
	}
	left = cut(left, e.width-r-1)
	e.line(left + strings.Repeat(" ", e.width-utf8.RuneCountInString(left)-r) + right)
}

// item prints a sale line: the name word-wrapped, the amount on the right
// of its last line (or of a line of its own if that is full).
func (e *escpos) item(name, amount string) {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(name) {
		if rs := []rune(w); len(rs) > e.width { // one unbreakable word
			if cur != "" {
				lines, cur = append(lines, cur), ""
			}
			for len(rs) > e.width {
				lines, rs = append(lines, string(rs[:e.width])), rs[e.width:]
			}
			w = string(rs)
		}
		switch {
		case cur == "":
			cur = w
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) <= e.width:
			cur += " " + w
		default:
			lines, cur = append(lines, cur), w
		}
	}
	for _, l := range lines {
		e.line(l)
	}
	// Move words from the end of the last line down until the amount fits
	// beside them; a single long word goes on a line of its own.
	room := e.width - 1 - utf8.RuneCountInString(amount)
	var tail []string
	words := strings.Fields(cur)
	for len(words) > 0 && utf8.RuneCountInString(strings.Join(words, " ")) > room {
		tail, words = append([]string{words[len(words)-1]}, tail...), words[:len(words)-1]
	}
	if len(words) > 0 && len(tail) > 0 {
		e.line(strings.Join(words, " "))
		words = tail
	} else if len(tail) > 0 {
		e.line(strings.Join(tail, " "))
	}
	last := strings.Join(words, " ")
	if utf8.RuneCountInString(last) > room {
		e.line(last)
		last = ""
	}
	e.pair(last, amount)
}

// columns prints the VAT summary: the rate left, three amounts right-aligned.
func (e *escpos) columns(rate string, amounts ...string) {
	w := (e.width - 8) / 3
	var b strings.Builder
	b.WriteString(padRight(cut(rate, 8), 8))
	for _, a := range amounts {
		b.WriteString(padLeft(cut(a, w), w))
	}
	e.line(b.String())
}

// qr prints s as a QR code with GS ( k: model 2, 6-dot modules, error
// correction M. Printers without QR support skip the block.
func (e *escpos) qr(s string) {
	data := []byte(s)
	if len(data) > 7000 {
		data = data[:7000]
	}
	n := len(data) + 3
	e.raw(
		[]byte{0x1d, '(', 'k', 4, 0, 49, 65, 50, 0}, // model 2
		[]byte{0x1d, '(', 'k', 3, 0, 49, 67, 6},     // module size
		[]byte{0x1d, '(', 'k', 3, 0, 49, 69, 49},    // error correction M
		[]byte{0x1d, '(', 'k', byte(n), byte(n >> 8), 49, 80, 48},
		data,
		[]byte{0x1d, '(', 'k', 3, 0, 49, 81, 48}, // print
		[]byte{'\n'},
	)
}

// formatMoney: 123450 → "1 234,50", -990 → "-9,90".
func formatMoney(minor int64, decimal, group rune) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-minor)
	}
	whole := fmt.Sprint(u / 100)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteRune(group)
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s%c%02d", sign, b.String(), decimal, u%100)
}

// formatRate: 2500 → "25 %", 2550 → "25,5 %", 1350 → "13,5 %".
func formatRate(hundredths int, decimal rune) string {
	s := fmt.Sprint(hundredths / 100)
	if frac := hundredths % 100; frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
		s += string(decimal) + f
	}
	return s + " %"
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func padLeft(s string, n int) string {
	return strings.Repeat(" ", max(n-utf8.RuneCountInString(s), 0)) + s
}

func padRight(s string, n int) string {
	return s + strings.Repeat(" ", max(n-utf8.RuneCountInString(s), 0))
}

// encodeText lays out preformatted text (a report) for the printer.
func encodeText(text string, width int) []byte {
	if width <= 0 {
		width = 42
	}
	e := &escpos{width: width}
	e.raw(escInit, escCodePage865, escAlignLeft)
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		e.line(l)
	}
	e.raw(gsCutAfterFeed)
	return e.buf.Bytes()
}
