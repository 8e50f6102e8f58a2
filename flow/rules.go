package flow

// The rules for what the cashier may do now. Each intent refuses with the
// rule's notice, and the View offers the same answers (View.Can…), so the
// windows enable exactly what the checkout will take.

// refusal is why an intent is not allowed now: a notice key and its
// English text. The zero refusal allows.
type refusal struct{ key, text string }

func (r refusal) ok() bool { return r.key == "" }

// mayEnrol: a customer whose number is known and who is not a member yet,
// with no enrolment already waiting.
func mayEnrol(s *Sale) refusal {
	switch {
	case s == nil || (s.Stage != StageOpen && s.Stage != StagePaying) || s.Customer.MSISDN == "":
		return refusal{"enrol.no_customer", "Scan the customer's Vipps QR first, then tap Enrol in club."}
	case s.Customer.Member != nil:
		return refusal{"enrol.already_member", "The customer is already a member: go on with the sale."}
	case s.Enrolment != nil && s.Enrolment.Status == EnrolmentPending:
		return refusal{"enrol.already_waiting", "The enrolment is already waiting for the customer: ask them to look at their phone."}
	}
	return refusal{}
}

// mayRequestPayment: an open sale with wares worth at least Vipps' minimum;
// a push also needs the customer's QR.
func mayRequestPayment(s *Sale, byQR bool) refusal {
	switch {
	case s == nil || s.Stage == StagePaid || s.Stage == StageCancelled || len(s.Lines) == 0:
		return refusal{"payment.empty_sale", "Scan the wares first."}
	case s.Stage == StagePaying:
		return refusal{"payment.already_sent", "A payment request is already out."}
	case s.Due() < MinimumAmount(s.Currency):
		return refusal{"payment.amount_too_small", "The total is below the smallest amount Vipps accepts."}
	case !byQR && !s.Customer.Identified():
		return refusal{"payment.no_customer", "Scan the customer's Vipps QR first, or let them pay by QR code."}
	}
	return refusal{}
}

// maySwitchToQR: a push request is out and not answered; the cashier may
// cancel it and show a QR instead.
func maySwitchToQR(s *Sale) bool {
	return s != nil && s.Stage == StagePaying && s.Payment != nil && s.Payment.Push && !s.Payment.Status.Final()
}

// cancelAsked: the cashier's cancel (or switch to QR) is on its way.
func cancelAsked(s *Sale) bool { return s != nil && s.Payment != nil && s.Payment.CancelRequested }

// mayCancelPayment: a request is out and not final.
func mayCancelPayment(s *Sale) refusal {
	if s == nil || s.Stage != StagePaying || s.Payment == nil || s.Payment.Status.Final() {
		return refusal{"payment.nothing_to_cancel", "There is no payment request to cancel."}
	}
	return refusal{}
}

// mayVoid: an open sale with no payment request out.
func mayVoid(s *Sale) refusal {
	switch {
	case s != nil && s.Stage == StagePaying:
		return refusal{"sale.void_while_paying", "A payment request is out: cancel the payment before voiding the sale."}
	case s == nil || s.Stage != StageOpen:
		return refusal{"sale.nothing_to_void", "There is no open sale to void."}
	}
	return refusal{}
}

// mayStartNewSale: the last sale is paid or voided (or there is none).
func mayStartNewSale(s *Sale) refusal {
	if s != nil && (s.Stage == StageOpen || s.Stage == StagePaying) {
		return refusal{"sale.still_open", "Finish or void the current sale first."}
	}
	return refusal{}
}

// mayChangeLines: the wares of an open sale, before any payment request.
func mayChangeLines(s *Sale) bool { return s != nil && s.Stage == StageOpen && len(s.Tenders) == 0 }
