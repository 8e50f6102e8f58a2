package flow

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ClubRuleStore keeps the club rules in force.
type ClubRuleStore interface {
	ClubRuleSource
	SetClubRules(ctx context.Context, rules ClubRules, by string) error
}

// ChangeClubRules is the one door for new club rules: they are checked,
// stored and every change journaled as a price change (13021), so the
// books show when a member discount or an offer began and ended.
func ChangeClubRules(ctx context.Context, st ClubRuleStore, j *ElectronicJournal, rules ClubRules, by string) ([]string, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	old, err := st.ClubRules(ctx)
	if err != nil {
		return nil, err
	}
	changes := ClubRuleChanges(old, rules)
	if len(changes) == 0 {
		return nil, nil
	}
	if err := st.SetClubRules(ctx, rules, by); err != nil {
		return nil, err
	}
	if j != nil {
		for _, c := range changes {
			if err := j.RecordEvent(ctx, JournalPriceChange, 0, "", 0, "club: "+c); err != nil {
				return changes, err
			}
		}
	}
	return changes, nil
}

// ClubRuleChanges describes, one line each, what differs between two sets
// of rules.
func ClubRuleChanges(old, rules ClubRules) []string {
	var out []string
	groups := func(r ClubRules) map[string]int {
		m := map[string]int{}
		for _, g := range r.GroupDiscounts {
			m[g.Group] = g.Percent
		}
		return m
	}
	og, ng := groups(old), groups(rules)
	for _, g := range sortedKeys(og, ng) {
		if og[g] != ng[g] {
			out = append(out, fmt.Sprintf("member discount on group %s: %d %% → %d %%", g, og[g], ng[g]))
		}
	}
	offers := func(r ClubRules) map[string]Offer {
		m := map[string]Offer{}
		for _, o := range r.Offers {
			m[o.ID] = o
		}
		return m
	}
	oo, no := offers(old), offers(rules)
	for _, id := range sortedKeys(oo, no) {
		a, had := oo[id]
		b, has := no[id]
		switch {
		case !had:
			out = append(out, "offer "+id+" added: "+offerText(b))
		case !has:
			out = append(out, "offer "+id+" ended: "+offerText(a))
		case offerText(a) != offerText(b):
			out = append(out, "offer "+id+" changed: "+offerText(a)+" → "+offerText(b))
		}
	}
	if pt := func(p PointsRule) string {
		return fmt.Sprintf("%d point(s) per krone on %s, cheque of %s at %d points", p.PerKrone, groupList(p.Groups), SAFTAmount(p.ChequeValue), p.ChequeAt)
	}; pt(old.Points) != pt(rules.Points) || old.Points.ChequeDays != rules.Points.ChequeDays {
		out = append(out, "points: "+pt(old.Points)+" → "+pt(rules.Points))
	}
	return out
}

func offerText(o Offer) string {
	what := "products " + strings.Join(o.GTINs, " ")
	if o.Group != "" {
		what = "group " + o.Group
		if len(o.GTINs) > 0 {
			what += " and products " + strings.Join(o.GTINs, " ")
		}
	}
	deal := fmt.Sprintf("%d for %d", o.Buy, o.Pay)
	if o.Price > 0 {
		deal = fmt.Sprintf("%d for %s", o.Buy, SAFTAmount(o.Price))
	}
	who := "everyone"
	if o.MembersOnly {
		who = "members"
	}
	return fmt.Sprintf("%q %s on %s for %s", o.Name, deal, what, who)
}

func groupList(g []string) string {
	if len(g) == 0 {
		return "every line"
	}
	return "groups " + strings.Join(g, " ")
}

func sortedKeys[V any](a, b map[string]V) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// addClub counts a sale's (or return's) club discounts in the report.
func (r *Report) addClub(s SaleRecord) {
	var cheque Money
	for _, l := range s.Lines {
		if l.MemberSaving != 0 {
			r.MemberSavings.Amount += l.MemberSaving
			if l.MemberSaving > 0 {
				r.MemberSavings.Count++
			}
		}
		cheque += l.ChequeDiscount
	}
	if cheque != 0 {
		r.Cheques.Amount += cheque
		if cheque > 0 {
			r.Cheques.Count++
		}
	}
}
