package flow

import "time"

// Payment is one payment request of a sale (an "attempt"). A sale that was
// declined or expired gets a new Payment with a new reference.
type Payment struct {
	ID             int64
	SaleID         int64
	Reference      string
	Attempt        int
	IdempotencyKey string
	Status         PaymentStatus
	VippsState     string // last state read from Vipps, "" before
	Push           bool   // pushed to the customer's phone (else a QR on the display)
	// PushMSISDN or PushQR is who the push went to, fixed when the attempt
	// is made: the create must be re-sent with exactly the same body, even
	// if the customer's QR has been exchanged for a number since.
	PushMSISDN string
	PushQR     string
	QR         string // for QR payments: what the customer display renders
	Amount     Money
	Authorized Money
	// CancelRequested marks a cashier's cancel that has not been answered
	// yet; the request stays open until Vipps confirms TERMINATED.
	CancelRequested bool
	// FallbackToQR: after the push is cancelled, request a QR payment.
	FallbackToQR bool
	// NotOurs: Vipps holds a payment under this reference that another
	// installation made; nothing Vipps says about it is ever applied.
	NotOurs   bool
	CreatedAt time.Time
	ExpiresAt time.Time
	UpdatedAt time.Time
}

// rank orders payment statuses so a later state never goes back.
func (s PaymentStatus) rank() int {
	switch s {
	case PaymentRequesting:
		return 0
	case PaymentWaiting:
		return 1
	}
	return 2
}

// Final reports whether no further change of the request can happen.
func (s PaymentStatus) Final() bool { return s.rank() == 2 }

// statusFromVipps maps a Vipps state or event name onto ours; ok is false
// for names that do not change the request's status (CREATED, CAPTURED…).
func statusFromVipps(name string) (PaymentStatus, bool) {
	switch name {
	case VippsAuthorized:
		return PaymentAuthorized, true
	case VippsAborted:
		return PaymentDeclined, true
	case VippsExpired:
		return PaymentExpired, true
	case VippsTerminated:
		return PaymentCancelled, true
	}
	return "", false
}

// mayStillBeApproved reports whether the request may hold (or come to hold)
// money at Vipps although the till has moved on: Vipps itself has not
// closed it, and it was never taken as the sale's payment.
func (p *Payment) mayStillBeApproved() bool {
	if p.NotOurs || p.Status == PaymentAuthorized {
		return false
	}
	switch p.VippsState {
	case VippsAborted, VippsExpired, VippsTerminated:
		return false
	}
	return true
}
