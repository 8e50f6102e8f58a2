package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// clubGreeting is the club's line under the greeting: what the member
// saves on this sale, or what a guest would save by joining now.
func (d *customerDisplay) clubGreeting(v flow.View, t func(string, ...map[string]string) string) []fyne.CanvasObject {
	money := func(m flow.Money) string { return formatMoney(m, v.Currency) }
	var out []fyne.CanvasObject
	switch {
	case v.MemberSavings > 0:
		out = append(out, big(t("club.you_save", map[string]string{"Amount": money(v.MemberSavings)}), sizeDisplayM, widget.SuccessImportance))
	case v.CanEnrol && v.JoinSavings > 0:
		out = append(out, big(t("club.join_save", map[string]string{"Amount": money(v.JoinSavings)}), sizeDisplayM, widget.HighImportance))
	}
	if s := pointsText(v, t, money); s != "" {
		out = append(out, big(s, sizeDisplayS, widget.MediumImportance))
	}
	return out
}

// clubPaid is what the thank-you screen adds for a member: the savings,
// the points earned and the new balance.
func (d *customerDisplay) clubPaid(v flow.View, t func(string, ...map[string]string) string) []fyne.CanvasObject {
	money := func(m flow.Money) string { return formatMoney(m, v.Currency) }
	var out []fyne.CanvasObject
	if v.MemberSavings > 0 {
		out = append(out, big(t("club.you_save", map[string]string{"Amount": money(v.MemberSavings)}), sizeDisplayM, widget.SuccessImportance))
	}
	if s := pointsText(v, t, money); s != "" {
		out = append(out, big(s, sizeDisplayS, widget.HighImportance))
	}
	return out
}
