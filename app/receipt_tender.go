package app

import (
	"strings"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
)

// tenderNames are the means of payment as the paper receipt prints them.
var tenderNames = map[flow.TenderKind]string{flow.TenderVipps: "Vipps", flow.TenderCash: "Kontant", flow.TenderCard: "Bankkort",
	flow.TenderVoucher: "Gavekort", flow.TenderCreditNote: "Tilgodelapp"}

// paidWith prints how a sale paid by tenders was paid: each tender with its
// amount, the change, and the transaction id of the Vipps or card payment.
// The Vipps tender takes the name r already has (the brand of the day).
func paidWith(r *hardware.Receipt, s *flow.Sale) {
	if len(s.Tenders) == 0 {
		return
	}
	var parts []string
	card := ""
	for _, t := range s.Tenders {
		p := tenderNames[t.Kind]
		if t.Kind == flow.TenderVipps && r.PaymentMethod != "" {
			p = r.PaymentMethod // the app's name in the store's market on the day
		}
		if len(s.Tenders) > 1 || t.Change > 0 {
			p += " " + flow.FormatAmount(t.Amount, "nb")
		}
		if t.Change > 0 {
			p += " (veksel " + flow.FormatAmount(t.Change, "nb") + ")"
		}
		parts = append(parts, p)
		if t.Kind == flow.TenderCard && t.Reference != "" {
			card = t.Reference
		}
	}
	r.PaymentMethod = strings.Join(parts, ", ")
	if s.Payment == nil || s.Payment.Status != flow.PaymentAuthorized {
		// No Vipps payment is the sale's: its reference is no transaction id.
		r.QR, r.PaymentRef = "", card
	}
}

// returnedThrough prints on the Returkvittering how the money went back
// when it did not all go to Vipps: each tender and amount, and the code of
// a credit note issued (the customer redeems it by that code).
func returnedThrough(r *hardware.Receipt, rec flow.SaleRecord) {
	if len(rec.Payments) == 0 || (len(rec.Payments) == 1 && rec.Payments[0].Method == flow.PaymentVipps) {
		return
	}
	var parts []string
	r.PaymentRef = ""
	for _, p := range rec.Payments {
		parts = append(parts, tenderNames[flow.TenderKind(p.Method)]+" "+flow.FormatAmount(-p.Amount, "nb"))
		switch flow.TenderKind(p.Method) {
		case flow.TenderVipps, flow.TenderCard:
			if r.PaymentRef == "" {
				r.PaymentRef = p.Reference
			}
		case flow.TenderCreditNote:
			r.PaymentRef = p.Reference // the credit note's code
			r.QR = p.Reference
		}
	}
	r.PaymentMethod = strings.Join(parts, ", ")
}
