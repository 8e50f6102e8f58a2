package flow

import (
	"context"
	"slices"
	"sort"
	"strings"
)

// ClubRules are the store's pricing and loyalty rules: what a member pays
// less, the multi-buy offers, and how points are earned and paid out.
// Member prices themselves are a catalogue column (Product.MemberPrice).
type ClubRules struct {
	// GroupDiscounts give members a percentage off every product of an
	// article group that has no member price of its own.
	GroupDiscounts []GroupDiscount `json:"groupDiscounts,omitempty"`
	// Offers are multi-buy offers, tried in order; a unit counts towards
	// one offer at most.
	Offers []Offer `json:"offers,omitempty"`
	// Points is how members earn points; the zero rule earns none.
	Points PointsRule `json:"points"`
}

// GroupDiscount is a member discount on an article group.
type GroupDiscount struct {
	Group   string `json:"group"`
	Percent int    `json:"percent"` // 1–100
}

// Offer is "Buy for Pay" (3 for 2: Buy 3, Pay 2) or "Buy for Price"
// ("2 for kr 50": Buy 2, Price 5000) on the listed products or a whole
// article group.
type Offer struct {
	ID          string   `json:"id"`   // stable, no commas: lines and the journal name it
	Name        string   `json:"name"` // as printed: "3 for 2 på melk"
	GTINs       []string `json:"gtins,omitempty"`
	Group       string   `json:"group,omitempty"`
	Buy         int      `json:"buy"`
	Pay         int      `json:"pay,omitempty"`   // units paid per bundle (3 for 2)
	Price       Money    `json:"price,omitempty"` // the bundle's price (2 for kr 50)
	MembersOnly bool     `json:"membersOnly,omitempty"`
}

// covers reports whether the offer counts this line.
func (o Offer) covers(l SaleLine) bool {
	if o.Group != "" && l.Group == o.Group {
		return true
	}
	return slices.Contains(o.GTINs, l.GTIN)
}

// valid reports whether the offer can be applied at all.
func (o Offer) valid() bool {
	if o.ID == "" || o.Buy < 2 {
		return false
	}
	if o.Price > 0 {
		return o.Pay == 0
	}
	return o.Pay > 0 && o.Pay < o.Buy
}

// Validate says what is wrong with rules before they are stored.
func (r ClubRules) Validate() error {
	var bad []string
	seen := map[string]bool{}
	for _, g := range r.GroupDiscounts {
		if g.Group == "" || g.Percent <= 0 || g.Percent > 100 {
			bad = append(bad, "group discount "+g.Group+": a group and a percent of 1–100")
		}
	}
	for _, o := range r.Offers {
		if !o.valid() || strings.Contains(o.ID, ",") {
			bad = append(bad, "offer "+o.ID+": an id, buy ≥ 2 and either pay < buy or a bundle price")
		}
		if seen[o.ID] {
			bad = append(bad, "offer "+o.ID+" is listed twice")
		}
		seen[o.ID] = true
		if o.Group == "" && len(o.GTINs) == 0 {
			bad = append(bad, "offer "+o.ID+": no products and no group")
		}
	}
	if err := r.Points.validate(); err != "" {
		bad = append(bad, err)
	}
	if bad != nil {
		return &InvalidRulesError{Problems: bad}
	}
	return nil
}

// InvalidRulesError lists what is wrong with club rules.
type InvalidRulesError struct{ Problems []string }

func (e *InvalidRulesError) Error() string { return "club rules: " + strings.Join(e.Problems, "; ") }

// ClubRuleSource gives the rules in force; app/store and inmem implement it.
type ClubRuleSource interface {
	ClubRules(ctx context.Context) (ClubRules, error)
}

// The reasons a line is discounted, kept on the line (SaleLine.Rules) for
// receipts, SAF-T and the screens.
const (
	RuleMemberPrice = "member-price"  // the product's member price
	RuleGroupPrefix = "member-group:" // + group: the group's member discount
	RuleOfferPrefix = "offer:"        // + offer id
	RuleCheque      = "bonus-cheque"  // a bonus cheque redeemed on the sale
)

// memberUnitPrice is what a member pays for one unit of l before offers,
// and the rule that gave it ("" when the ordinary price).
func memberUnitPrice(l SaleLine, rules ClubRules) (Money, string) {
	if l.MemberPrice > 0 && l.MemberPrice < l.UnitPrice {
		return l.MemberPrice, RuleMemberPrice
	}
	if l.Group != "" {
		for _, g := range rules.GroupDiscounts {
			if g.Group == l.Group && g.Percent > 0 && g.Percent <= 100 {
				off := (l.UnitPrice*Money(g.Percent) + 50) / 100
				if off > 0 {
					return l.UnitPrice - off, RuleGroupPrefix + g.Group
				}
			}
		}
	}
	return l.UnitPrice, ""
}

// PriceLines prices a cart: every line's Discount, MemberSaving, OfferUnits
// and Rules are computed afresh from the ordinary unit prices, the member
// prices (when member) and the offers. A line's Discount is a sum of whole
// øre on that line, so its VAT stays exact (SaleLine.VAT). A bonus cheque
// already on the sale is kept and spread again over the new totals.
func PriceLines(lines []SaleLine, member bool, rules ClubRules, cheque Money) []SaleLine {
	out := priceLines(lines, member, rules)
	if member {
		plain := priceLines(lines, false, rules)
		for i := range out {
			if d := out[i].Discount - plain[i].Discount; d > 0 {
				out[i].MemberSaving = d
			}
		}
	}
	return spreadCheque(out, cheque)
}

// unit is one unit of a cart line while offers are worked out.
type unit struct {
	line  int
	price Money // after the member price
}

func priceLines(lines []SaleLine, member bool, rules ClubRules) []SaleLine {
	out := make([]SaleLine, len(lines))
	unitPrice := make([]Money, len(lines))
	for i, l := range lines {
		l.Discount, l.MemberSaving, l.OfferUnits, l.ChequeDiscount, l.Rules = 0, 0, 0, 0, ""
		unitPrice[i] = l.UnitPrice
		if member && l.Quantity > 0 {
			if p, rule := memberUnitPrice(l, rules); rule != "" {
				unitPrice[i] = p
				l.Discount = (l.UnitPrice - p) * Money(l.Quantity)
				l.Rules = addRule(l.Rules, rule)
			}
		}
		out[i] = l
	}
	used := make([]int, len(lines)) // units of each line already in a bundle
	for _, o := range rules.Offers {
		if !o.valid() || (o.MembersOnly && !member) {
			continue
		}
		var units []unit
		for i, l := range out {
			if l.Quantity <= 0 || !o.covers(l) {
				continue
			}
			for k := used[i]; k < l.Quantity; k++ {
				units = append(units, unit{line: i, price: unitPrice[i]})
			}
		}
		// The dearest units form the bundles, so in "3 for 2" the cheapest
		// of each three is free, as shops do it.
		sort.SliceStable(units, func(a, b int) bool { return units[a].price > units[b].price })
		for start := 0; start+o.Buy <= len(units); start += o.Buy {
			bundle := units[start : start+o.Buy]
			var regular Money
			for _, u := range bundle {
				regular += u.price
			}
			off := bundleSaving(o, bundle, regular)
			if off == nil {
				break // dearer than the units bought alone: later bundles are no better
			}
			for k, u := range bundle {
				l := &out[u.line]
				used[u.line]++
				l.OfferUnits++
				l.Discount += off[k]
				l.Rules = addRule(l.Rules, RuleOfferPrefix+o.ID)
			}
		}
	}
	return out
}

// bundleSaving is the discount on each unit of a bundle under o, or nil
// when the offer gives nothing off.
func bundleSaving(o Offer, bundle []unit, regular Money) []Money {
	off := make([]Money, len(bundle))
	if o.Price == 0 {
		// Buy for Pay: the cheapest Buy−Pay units are free.
		var sum Money
		for k := o.Pay; k < len(bundle); k++ {
			off[k] = bundle[k].price
			sum += off[k]
		}
		if sum <= 0 {
			return nil
		}
		return off
	}
	total := regular - o.Price
	if total <= 0 {
		return nil
	}
	// Spread in proportion to the units' prices; the rest on the last.
	var given Money
	for k, u := range bundle {
		if k == len(bundle)-1 {
			off[k] = total - given
			break
		}
		off[k] = total * u.price / regular
		given += off[k]
	}
	return off
}

// spreadCheque puts a sale-wide amount off (a bonus cheque) on the lines in
// proportion to what each line costs after its other discounts, so every
// line's VAT stays right; it never makes a line negative.
func spreadCheque(lines []SaleLine, amount Money) []SaleLine {
	var base Money
	for _, l := range lines {
		base += l.Total()
	}
	if amount <= 0 || base <= 0 {
		return lines
	}
	amount = min(amount, base)
	last := -1
	for i, l := range lines {
		if l.Total() > 0 {
			last = i
		}
	}
	var given Money
	for i := range lines {
		t := lines[i].Total()
		if t <= 0 {
			continue
		}
		part := amount * t / base
		if i == last {
			part = amount - given
		}
		part = min(part, t)
		given += part
		lines[i].ChequeDiscount = part
		lines[i].Discount += part
		lines[i].Rules = addRule(lines[i].Rules, RuleCheque)
	}
	return lines
}

// Savings is what the sale's lines give off in total.
func Savings(lines []SaleLine) (discount, member Money) {
	for _, l := range lines {
		discount += l.Discount
		member += l.MemberSaving
	}
	return discount, member
}

// JoinSavings is what a customer who is not a member would save on these
// lines by joining now.
func JoinSavings(lines []SaleLine, rules ClubRules) Money {
	_, m := Savings(PriceLines(lines, true, rules, 0))
	return m
}

// samePricing reports whether two pricings of a cart are the same.
func samePricing(a, b []SaleLine) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Discount != y.Discount || x.MemberSaving != y.MemberSaving || x.OfferUnits != y.OfferUnits ||
			x.ChequeDiscount != y.ChequeDiscount || x.Rules != y.Rules {
			return false
		}
	}
	return true
}

// addRule adds a rule code to a line's comma-separated list, once.
func addRule(rules, rule string) string {
	if rules == "" {
		return rule
	}
	if slices.Contains(strings.Split(rules, ","), rule) {
		return rules
	}
	return rules + "," + rule
}

// LineRules splits a line's rule codes.
func LineRules(rules string) []string {
	if rules == "" {
		return nil
	}
	return strings.Split(rules, ",")
}

// OfferName is the printed name of the offer with this id (the id itself
// when the offer has ended since).
func (r ClubRules) OfferName(id string) string {
	for _, o := range r.Offers {
		if o.ID == id {
			if o.Name != "" {
				return o.Name
			}
			break
		}
	}
	return id
}

// DiscountLabel says in Norwegian, for the paper receipt, why a line is
// discounted: "medlemspris, 3 for 2", from the line's rule codes.
func DiscountLabel(rules string, club ClubRules) string {
	var why []string
	for _, r := range LineRules(rules) {
		switch {
		case r == RuleMemberPrice:
			why = append(why, "medlemspris")
		case strings.HasPrefix(r, RuleGroupPrefix):
			why = append(why, "medlemsrabatt")
		case r == RuleCheque:
			why = append(why, "bonussjekk")
		case strings.HasPrefix(r, RuleOfferPrefix):
			why = append(why, club.OfferName(strings.TrimPrefix(r, RuleOfferPrefix)))
		}
	}
	return strings.Join(why, ", ")
}
