package ui

// The notices of taking cash, card and vouchers (flow/checkout_tender.go).
func init() {
	for _, k := range []string{"tender.voucher_spent", "tender.card_too_much", "tender.voucher_unknown", "tender.voucher_currency",
		"tender.unknown", "tender.vipps_out", "tender.nothing_due", "tender.nothing_to_move", "tender.moved", "tender.drawer_open", "tender.no_credit_notes"} {
		NoticeKeys[k] = nil
	}
}
