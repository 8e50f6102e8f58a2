package flow

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ReportHeading is what the printed report says about the shop.
type ReportHeading struct {
	ShopName  string
	OrgNumber string
	// Installation is the database's installation id, which leads every
	// payment reference: with it an auditor finds the till's payments in
	// the Vipps portal.
	Installation string
	Location     *time.Location // for the printed times; nil: UTC
	// Words are the store language's texts (assets.Texts): the report
	// prints their "report.print.…" entries, the one source of its wording.
	Words map[string]string
}

// reportWords are the printed words of h by their short name ("sales");
// a word the texts lack prints as its key, so a gap shows on paper and in
// the golden tests instead of passing unseen.
func reportWords(h ReportHeading) map[string]string {
	const prefix = "report.print."
	L := map[string]string{}
	for k, v := range h.Words {
		if short, ok := strings.CutPrefix(k, prefix); ok {
			L[short] = v
		}
	}
	for _, k := range []string{"X", "Z", "no", "till", "date", "period", "journal", "cashier", "sales", "returns", "net", "vat",
		"gross", "netx", "payments", "bycashier", "discounts", "membersavings", "cheques", "members", "nonmembers", "copies", "drawer", "voids", "lines",
		"lookups", "cancelled", "training", "grand", "gsales", "greturns", "gnet", "none", "end", "orgno", "installation",
		"rounding", "nosale", "float", "expected", "counted", "difference"} {
		if L[k] == "" {
			L[k] = prefix + k
		}
	}
	return L
}

// FormatAmount prints øre as kroner with two decimals: "1 234,50" (nb,
// fi), "1.234,50" (da) or "1,234.50" (en).
func FormatAmount(m Money, lang string) string {
	neg := m < 0
	if neg {
		m = -m
	}
	whole, frac := int64(m)/100, int64(m)%100
	sep, dec := " ", ","
	switch lang {
	case "en":
		sep, dec = ",", "."
	case "da":
		sep = "."
	}
	digits := fmt.Sprint(whole)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(d)
	}
	s := fmt.Sprintf("%s%s%02d", b.String(), dec, frac)
	if neg {
		s = "-" + s
	}
	return s
}

// Text renders the report for a receipt printer width characters wide
// (42 on 80 mm paper) in h.Words, with amounts written as lang writes them.
func (r Report) Text(h ReportHeading, width int, lang string) string {
	L := reportWords(h)
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	amt := func(m Money) string { return FormatAmount(m, lang) }
	var b strings.Builder
	center := func(s string) {
		pad := (width - utf8.RuneCountInString(s)) / 2
		b.WriteString(strings.Repeat(" ", max(pad, 0)) + s + "\n")
	}
	pair := func(left, right string) {
		gap := width - utf8.RuneCountInString(left) - utf8.RuneCountInString(right)
		if gap < 1 {
			// Too long for one line: the label alone, the figure right-aligned below.
			b.WriteString(left + "\n")
			left, gap = "", width-utf8.RuneCountInString(right)
		}
		b.WriteString(left + strings.Repeat(" ", max(gap, 0)) + right + "\n")
	}
	tally := func(label string, t Tally) { pair(fmt.Sprintf("%s (%d)", label, t.Count), amt(t.Amount)) }
	rule := func() { b.WriteString(strings.Repeat("-", width) + "\n") }

	if h.ShopName != "" {
		center(h.ShopName)
	}
	if h.OrgNumber != "" {
		center(L["orgno"] + " " + h.OrgNumber + " MVA")
	}
	center(L[string(r.Kind)])
	rule()
	if r.Kind == ReportZ {
		pair(L["no"], fmt.Sprint(r.Number))
	}
	pair(L["till"], r.TillID)
	if h.Installation != "" {
		pair(L["installation"], h.Installation)
	}
	pair(L["date"], r.CreatedAt.In(loc).Format("2006-01-02 15:04"))
	if !r.From.IsZero() {
		pair(L["period"], r.From.In(loc).Format("01-02 15:04")+" – "+r.To.In(loc).Format("01-02 15:04"))
	}
	pair(L["journal"], fmt.Sprintf("%d–%d", r.FirstSeq, r.LastSeq))
	if r.CashierName != "" {
		pair(L["cashier"], r.CashierName)
	}
	rule()
	tally(L["sales"], r.Sales)
	tally(L["returns"], r.Returns)
	pair(L["net"], amt(r.Net))
	rule()
	b.WriteString(L["vat"] + "\n")
	if len(r.VAT) == 0 {
		b.WriteString("  " + L["none"] + "\n")
	}
	for _, v := range r.VAT {
		pair(fmt.Sprintf("  %d %% %s", v.Rate, L["gross"]), amt(v.Gross))
		pair(fmt.Sprintf("  %d %% %s", v.Rate, L["netx"]), amt(v.Net))
		pair(fmt.Sprintf("  %d %% %s", v.Rate, L["vat"]), amt(v.VAT))
	}
	rule()
	b.WriteString(L["payments"] + "\n")
	for _, p := range r.Payments {
		pair(fmt.Sprintf("  %s (%d)", methodName(L, p.Method), p.Count), amt(p.Amount))
	}
	if r.Rounding != 0 || r.CashFloat != 0 || r.CashCounts > 0 || r.PaymentAmount(TenderCash) != 0 {
		pair("  "+L["rounding"], amt(r.Rounding))
		pair("  "+L["float"], amt(r.CashFloat))
		pair("  "+L["expected"], amt(r.CashExpected))
		if r.CashCounts > 0 {
			pair("  "+L["counted"], amt(r.CashCounted))
			pair("  "+L["difference"], amt(r.CashDifference))
		}
	}
	rule()
	b.WriteString(L["bycashier"] + "\n")
	for _, c := range r.Cashiers {
		name := c.Name
		if name == "" {
			name = "-"
		}
		b.WriteString("  " + name + "\n")
		pair(fmt.Sprintf("    %s (%d)", L["sales"], c.Sales.Count), amt(c.Sales.Amount))
		if c.Returns.Count > 0 {
			pair(fmt.Sprintf("    %s (%d)", L["returns"], c.Returns.Count), amt(c.Returns.Amount))
		}
		if len(c.Payments) > 1 || (len(c.Payments) == 1 && c.Payments[0].Method != PaymentVipps) {
			for _, p := range c.Payments {
				pair(fmt.Sprintf("      %s (%d)", methodName(L, p.Method), p.Count), amt(p.Amount))
			}
		}
	}
	rule()
	tally(L["members"], r.Members)
	tally(L["nonmembers"], r.NonMembers)
	tally(L["discounts"], r.Discounts)
	if r.MemberSavings != (Tally{}) || r.Cheques != (Tally{}) {
		tally(L["membersavings"], r.MemberSavings)
		tally(L["cheques"], r.Cheques)
	}
	tally(L["copies"], r.Copies)
	pair(L["drawer"], fmt.Sprint(r.DrawerOpenings))
	if r.DrawerNoSale > 0 {
		pair(L["nosale"], fmt.Sprint(r.DrawerNoSale))
	}
	tally(L["voids"], r.Voids)
	tally(L["lines"], r.LineDeletions)
	tally(L["lookups"], r.PriceLookups)
	tally(L["cancelled"], r.CancelledPays)
	if r.Training.Count > 0 {
		tally(L["training"], r.Training)
	}
	rule()
	b.WriteString(L["grand"] + "\n")
	pair("  "+L["gsales"], amt(r.GrandTotalSales))
	pair("  "+L["greturns"], amt(r.GrandTotalReturns))
	pair("  "+L["gnet"], amt(r.GrandTotalNet))
	rule()
	if len(r.LastHash) >= 16 {
		// Enough of the chain's hash to match the paper to the journal.
		pair("SHA-256", r.LastHash[:16])
	}
	center(L["end"])
	return b.String()
}
