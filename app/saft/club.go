package saft

import (
	"strings"

	"github.com/kasse-pos/kasse/flow"
)

// The club's codes: multi-buy offers are savings (basic type 07, "3 for
// 2"), member prices and bonus cheques discounts (08) of their own.
const (
	savOffer  = "OFFER"
	dscMember = "MEMBERDSC"
	dscCheque = "BONUSCHQ"
)

// Savings is a line's units sold under a multi-buy offer.
type Savings struct {
	SavingsType  string `xml:"savingsType"`
	SavingsUnits int    `xml:"savingsUnits"`
	EmpID        string `xml:"empID,omitempty"`
}

// lineDiscounts splits a line's discount by what gave it: a bonus cheque,
// the member's prices, and the rest (offers for everyone, a cashier's
// discount); the amounts add up to the line's discount. Units sold under
// an offer are savings.
func (b *builder) lineDiscounts(l flow.SaleRecordLine, emp string) ([]Savings, []Discount) {
	var sav []Savings
	var dsc []Discount
	if l.OfferUnits != 0 {
		sav = append(sav, Savings{SavingsType: savOffer, SavingsUnits: abs(l.OfferUnits), EmpID: emp})
		b.club[savOffer] = Basic{BasicType: "07", BasicID: savOffer, BasicDesc: "Multi-buy offer (3 for 2, 2 for a price)"}
	}
	if l.Discount == 0 {
		return sav, nil
	}
	rest := l.Discount
	if l.ChequeDiscount != 0 {
		dsc = append(dsc, Discount{DscTp: dscCheque, DscAmnt: Amount(l.ChequeDiscount), EmpID: emp})
		b.club[dscCheque] = Basic{BasicType: "08", BasicID: dscCheque, BasicDesc: "Club bonus cheque redeemed"}
		rest -= l.ChequeDiscount
	}
	if member := memberPart(l); member != 0 {
		dsc = append(dsc, Discount{DscTp: dscMember, DscAmnt: Amount(member), EmpID: emp})
		b.club[dscMember] = Basic{BasicType: "08", BasicID: dscMember, BasicDesc: "Club member price or member discount"}
		rest -= member
	}
	if rest != 0 {
		dsc = append(dsc, Discount{DscTp: dscLine, DscAmnt: Amount(rest), EmpID: emp})
	}
	return sav, dsc
}

// memberPart is the member's share of a line's discount before any cheque.
func memberPart(l flow.SaleRecordLine) flow.Money {
	if l.MemberSaving != 0 || !strings.Contains(l.Rules, "member") {
		return l.MemberSaving
	}
	return 0
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
