package ui

import (
	"errors"

	"github.com/kasse-pos/kasse/flow"
)

// NoticeKeys are the flow.Notice keys the cashier window translates, with
// the Args each text uses. The window shows a notice only by its key's
// translation, which says what to do next; flow's English Text (and any
// error behind it) is for the log. A key missing here shows action.failed.
var NoticeKeys = map[string][]string{
	"scan.unknown_product":         {"gtin"},
	"scan.inactive_product":        {"name"},
	"scan.unknown_code":            nil,
	"scan.payment_sent":            nil,
	"scan.log_in_first":            nil,
	"cart.no_such_line":            nil,
	"customer.qr_unreadable":       nil,
	"enrol.no_customer":            nil,
	"enrol.already_member":         nil,
	"enrol.already_waiting":        nil,
	"enrol.could_not_finish":       nil,
	"payment.empty_sale":           nil,
	"payment.already_sent":         nil,
	"payment.amount_too_small":     nil,
	"payment.no_customer":          nil,
	"payment.customer_unavailable": nil,
	"payment.age_refused":          {"age"},
	"payment.push_not_enabled":     nil,
	"payment.failed":               nil,
	"payment.unconfirmed":          nil,
	"payment.reference_taken":      nil,
	"payment.nothing_to_cancel":    nil,
	"payment.cancel_failed":        nil,
	"payment.approved":             nil,
	"payment.declined":             nil,
	"payment.expired":              nil,
	"payment.cancelled":            nil,
	"sale.nothing_to_void":         nil,
	"sale.void_while_paying":       nil,
	"sale.still_open":              nil,
	"refund.not_paid":              nil,
	"refund.bad_line":              nil,
	"refund.nothing_left":          nil,
	"refund.queued":                {"receipt"},
	"print.no_printer":             nil,
	"print.failed":                 nil,
	"print.copy_printed":           {"receipt"},
	"print.sale_printed":           {"receipt"},
	"print.copy_taken":             {"Receipt"},
	"reports.z_open_sale":          {"Receipt"},
	"reports.z_parked_refund":      {"Count"},
	"reports.z_parked_sale":        {"Receipt"},
	"sale.cannot_park":             nil,
	"store.failed":                 nil,
	"action.manager_only":          nil,
	"action.failed":                nil,
	// Standing notices of the till's start (Windows.StandingNotice).
	"notice.vipps_keys.wrong_keys":  nil,
	"notice.vipps_keys.unknown_msn": nil,
	"notice.vipps_keys.unreachable": nil,
	"notice.vipps_keys.failed":      nil,
	"notice.training_no_keys":       nil,
}

// noticeOf is what the cashier is told when an intent fails: flow's own
// notice, or for a refusal from around the checkout (a cashier who may not
// refund, nobody logged in) a notice of the window's own. Nil: nothing to
// add to what the View shows.
func noticeOf(err error) *flow.Notice {
	var ne *flow.NoticedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ne):
		n := ne.Notice
		return &n
	case errors.Is(err, flow.ErrNotAllowed):
		return &flow.Notice{Kind: flow.NoticeWarning, Key: "action.manager_only"}
	case errors.Is(err, flow.ErrNotLoggedIn):
		return &flow.Notice{Kind: flow.NoticeWarning, Key: "scan.log_in_first"}
	}
	return &flow.Notice{Kind: flow.NoticeError, Key: "action.failed"}
}
