package saft

import (
	"sort"

	"github.com/kasse-pos/kasse/flow"
)

// Rounding is a transaction's cash rounding (the øre the cash payment was
// rounded by): payments add up to transAmntIn + roundingAmnt.
type Rounding struct {
	RoundingAmnt Amount `xml:"roundingAmnt"`
}

// payTypes maps the till's tenders onto our basicIDs and the official
// payment codes (PredefinedBasicID-12).
var payTypes = map[string]struct{ id, code, desc string }{
	flow.PaymentVipps:             {payVipps, "12011", "Vipps MobilePay (mobile phone app)"},
	string(flow.TenderCash):       {"CASH", "12001", "Cash"},
	string(flow.TenderCard):       {"CARD", "12002", "Debit card (the store's card terminal)"},
	string(flow.TenderVoucher):    {"GIFTVOUCHER", "12005", "Gift voucher"},
	string(flow.TenderCreditNote): {"CREDITNOTE", "12010", "Credit note (issued on a return)"},
	"":                            {"OTHER", "12999", "Other"},
}

// payType is the basicID of a payment method, noted for the master data.
func (b *builder) payType(method string) string {
	p, ok := payTypes[method]
	if !ok {
		p = payTypes[""]
	}
	b.pays[p.id] = Basic{BasicType: "12", BasicID: p.id, PredefinedBasicID: p.code, BasicDesc: p.desc}
	return p.id
}

// paymentBasics are the payment types of the export: Vipps always (every
// export so far had it), and every other tender the export uses.
func (b *builder) paymentBasics() []Basic {
	b.payType(flow.PaymentVipps)
	out := make([]Basic, 0, len(b.pays))
	for _, v := range b.pays {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PredefinedBasicID > out[j].PredefinedBasicID })
	return out
}

// paymentRef is what identifies the payment for an auditor: the Vipps or
// card terminal reference; a voucher's code.
func paymentRef(p flow.SaleRecordPayment) string { return truncate(p.Reference, 35) }
