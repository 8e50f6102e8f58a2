package ui

// NoticeKeys are the flow.Notice keys the cashier window translates, with
// the Args each text uses. Notices with other keys, and those whose English
// Text carries detail (store.failed, enrol.failed, enrol.refused,
// payment.failed: the error from Vipps or the database), are shown as
// flow's Text so the detail is not lost.
var NoticeKeys = map[string][]string{
	"scan.unknown_product":         {"gtin"},
	"scan.inactive_product":        {"name"},
	"scan.unknown_code":            nil,
	"scan.log_in_first":            nil,
	"scan.payment_sent":            nil,
	"cart.no_such_line":            nil,
	"customer.qr_unreadable":       nil,
	"payment.empty_sale":           nil,
	"payment.already_sent":         nil,
	"payment.amount_too_small":     nil,
	"payment.no_customer":          nil,
	"payment.customer_unavailable": nil,
	"payment.nothing_to_cancel":    nil,
	"payment.cancel_failed":        nil,
	"payment.approved":             nil,
	"payment.declined":             nil,
	"payment.expired":              nil,
	"payment.cancelled":            nil,
	"payment.reference_taken":      nil,
	"payment.unconfirmed":          nil,
	"sale.nothing_to_void":         nil,
	"sale.void_while_paying":       nil,
	"sale.still_open":              nil,
	"print.no_printer":             nil,
}
