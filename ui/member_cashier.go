package ui

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// clubCashier is the club's part of the cashier window: what the member
// saves, what a guest would save beside the Enrol button, the points, and
// the bonus cheque and remove-customer buttons.
type clubCashier struct {
	savings   *widget.Label // over the total
	points    *widget.Label // over the total: balance, or what the paid sale earned
	join      *widget.Label // in the customer row, beside Enrol
	useCheque *touchButton
	remove    *touchButton
}

func newClubCashier(w *Windows, t func(string, ...map[string]string) string) clubCashier {
	k := clubCashier{
		savings: widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}),
		points:  widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{}),
		join:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
	}
	k.savings.Importance = widget.SuccessImportance
	k.join.Importance = widget.HighImportance
	k.join.Truncation = fyne.TextTruncateEllipsis
	k.useCheque = newButton(t("club.use_cheque"), theme.ConfirmIcon(), func() { w.do(clubIntent(w, flow.ClubTill.UseCheque)) })
	k.remove = newButton("", theme.CancelIcon(), func() { w.do(clubIntent(w, flow.ClubTill.RemoveCustomer)) })
	for _, o := range []fyne.CanvasObject{k.savings, k.points, k.join, k.useCheque, k.remove} {
		o.Hide()
	}
	return k
}

func init() {
	NoticeKeys["club.no_cheque"] = nil
	NoticeKeys["club.cheque_taken"] = nil
	NoticeKeys["club.managers_only"] = nil
}

// clubIntent sends a club intent to a till that takes them.
func clubIntent(w *Windows, f func(flow.ClubTill, context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if ct, ok := w.opt.Till.(flow.ClubTill); ok {
			return f(ct, ctx)
		}
		return nil
	}
}

func (k clubCashier) render(v flow.View, t func(string, ...map[string]string) string, money func(flow.Money) string) {
	show := func(o fyne.CanvasObject, on bool) {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
	if v.MemberSavings > 0 {
		k.savings.SetText(t("club.you_save", map[string]string{"Amount": money(v.MemberSavings)}))
	}
	show(k.savings, v.MemberSavings > 0)
	k.points.SetText(pointsText(v, t, money))
	show(k.points, k.points.Text != "")
	// The guest's savings stand in the customer row only while they can
	// still enrol; the enrolment's progress takes the place once asked.
	joinable := v.CanEnrol && v.JoinSavings > 0
	if joinable {
		k.join.SetText(t("club.join_save", map[string]string{"Amount": money(v.JoinSavings)}))
	}
	show(k.join, joinable)
	if v.CanUseCheque && v.Points != nil {
		k.useCheque.SetText(t("club.use_cheque") + " " + money(v.Points.ChequeValue/flow.Money(max(1, v.Points.Cheques))))
	}
	show(k.useCheque, v.CanUseCheque)
	show(k.remove, v.CanRemoveCustomer)
}

// pointsText is the member's points line: what a paid sale earned and
// the new balance, else the balance and any cheque waiting.
func pointsText(v flow.View, t func(string, ...map[string]string) string, money func(flow.Money) string) string {
	p := v.Points
	if p == nil {
		return ""
	}
	bal := strconv.FormatInt(p.Balance, 10)
	if v.Stage == flow.StagePaid {
		if p.Earned == 0 {
			return ""
		}
		s := t("club.points_earned", map[string]string{"Points": strconv.FormatInt(p.Earned, 10), "Balance": bal})
		if p.ChequesIssued > 0 {
			s += "\n" + t("club.cheque_issued", map[string]string{"Amount": money(p.ChequeValue)})
		}
		return s
	}
	if p.Balance == 0 && p.Cheques == 0 && v.ChequeUsed == 0 {
		return "" // a new member: nothing to show until the sale is paid
	}
	s := t("club.points_balance", map[string]string{"Balance": bal})
	if v.ChequeUsed > 0 {
		s += " · " + t("club.cheque_used", map[string]string{"Amount": money(v.ChequeUsed)})
	} else if p.Cheques > 0 {
		s += " · " + t("club.cheques_waiting", map[string]string{"Amount": money(p.ChequeValue)})
	}
	return s
}

// lineSaving says what a cart line has off and why: "member price,
// 3 for 2 −kr 29,90".
func lineSaving(l flow.LineView, t func(string, ...map[string]string) string, money func(flow.Money) string) string {
	if l.Discount == 0 {
		return ""
	}
	var why []string
	offer := 0
	for _, r := range l.Rules {
		switch {
		case r == flow.RuleMemberPrice:
			why = append(why, t("club.rule_member_price"))
		case r == flow.RuleCheque:
			why = append(why, t("club.rule_bonus_cheque"))
		case strings.HasPrefix(r, flow.RuleGroupPrefix):
			why = append(why, t("club.rule_member_group"))
		case strings.HasPrefix(r, flow.RuleOfferPrefix):
			if offer < len(l.Offers) {
				why = append(why, l.Offers[offer])
			}
			offer++
		}
	}
	if len(why) == 0 {
		return t("cart.discount", map[string]string{"Amount": money(l.Discount)})
	}
	return t("club.line_saving", map[string]string{"Rules": strings.Join(why, ", "), "Amount": money(l.Discount)})
}

// withSaving puts a discounted line's saving under its name, on a line of
// its own, so the name keeps its room at 1024 px.
func withSaving(row fyne.CanvasObject, l flow.LineView, t func(string, ...map[string]string) string, money func(flow.Money) string) fyne.CanvasObject {
	s := lineSaving(l, t, money)
	if s == "" {
		return row
	}
	lbl := widget.NewLabelWithStyle(s, fyne.TextAlignTrailing, fyne.TextStyle{Italic: true})
	lbl.SizeName = theme.SizeNameCaptionText
	lbl.Importance = widget.SuccessImportance
	lbl.Truncation = fyne.TextTruncateEllipsis
	return container.NewVBox(row, lbl)
}
