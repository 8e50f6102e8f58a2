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
func paidWith(r *hardware.Receipt, s *flow.Sale) {
	if len(s.Tenders) == 0 {
		return
	}
	var parts []string
	card := ""
	for _, t := range s.Tenders {
		p := tenderNames[t.Kind]
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
