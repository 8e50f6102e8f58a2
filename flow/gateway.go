package flow

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Vipps is what flow needs from Vipps MobilePay, in flow's own words. app
// implements it with the vipps client (against the real API or the
// simulator); tests use fakes. Every method honours ctx's deadline.
// Errors should be *GatewayError so callers can branch on the kind.
type Vipps interface {
	// ExchangeQR turns a scanned personal QR (opaque) into an MSISDN
	// ("4791234567"). Legacy Vipps codes may be parsed locally as a fallback.
	ExchangeQR(ctx context.Context, qr string) (msisdn string, err error)
	// CheckIn shows the club screen in the customer's app (Norway only).
	CheckIn(ctx context.Context, msisdn string, member bool) error

	// StartLogin pushes a consent request (CIBA, login_hint urn:msisdn:…).
	StartLogin(ctx context.Context, msisdn, bindingMessage string, scopes []string) (LoginRequest, error)
	// FinishLogin polls until the customer answers and returns their
	// claims; ErrLoginDeclined / ErrLoginExpired when they do not consent.
	FinishLogin(ctx context.Context, req LoginRequest) (MemberClaims, error)

	CreatePayment(ctx context.Context, req PaymentRequest) (CreatedPayment, error)
	GetPayment(ctx context.Context, reference string) (PaymentInfo, error)
	PaymentEvents(ctx context.Context, reference string) ([]PaymentEvent, error)
	CancelPayment(ctx context.Context, reference string, transactionOnly bool, idempotencyKey string) (PaymentInfo, error)
	Capture(ctx context.Context, reference string, amount Money, idempotencyKey string) (PaymentInfo, error)
	Refund(ctx context.Context, reference string, amount Money, idempotencyKey string) (PaymentInfo, error)
	// AddReceipt attaches the receipt to the order (Order Management);
	// a receipt that already exists is a *GatewayError of kind ErrConflict.
	AddReceipt(ctx context.Context, reference string, r Receipt) error
}

// LoginRequest is a started CIBA login.
type LoginRequest struct {
	AuthReqID string
	ExpiresAt time.Time
	Interval  time.Duration // minimum time between token polls
}

// MemberClaims are the consented userinfo claims.
type MemberClaims struct {
	Sub        string
	Name       string
	GivenName  string
	FamilyName string
	Email      string
	Phone      string // MSISDN
	BirthDate  string // YYYY-MM-DD, when consented
	Scopes     []string
	Consents   []MemberConsent // the club's marketing consents answered now (first consent only)
}

// PaymentRequest is a push (or QR) payment for a sale.
type PaymentRequest struct {
	Reference      string // ^[a-zA-Z0-9-]{8,64}$, unique per sales unit
	IdempotencyKey string // derived from the sale, identical on every retry
	Amount         Money
	Currency       string
	MSISDN         string // push to this phone (PUSH_MESSAGE), or
	PersonalQR     string // push to the holder of this scanned QR
	ByQR           bool   // userFlow QR: a code on the customer display instead of a push
	Description    string // 3–100 characters, shown in the app
	Receipt        *Receipt
	MinimumAge     int // minimumUserAge: Vipps refuses a younger customer (as 7010); 0: none
}

// CreatedPayment is the answer to CreatePayment.
type CreatedPayment struct {
	Reference string
	QR        string // for ByQR: the URL/content to show as a QR code
}

// Vipps payment states (ePayment). There is no captured state: money
// movement is read from the amounts.
const (
	VippsCreated    = "CREATED"
	VippsAuthorized = "AUTHORIZED"
	VippsAborted    = "ABORTED"
	VippsExpired    = "EXPIRED"
	VippsTerminated = "TERMINATED"
)

// PaymentInfo is the payment as Vipps sees it (GET or a modification answer).
type PaymentInfo struct {
	Reference  string
	State      string // one of the Vipps* constants
	Amount     Money
	Authorized Money
	Captured   Money
	Cancelled  Money
	Refunded   Money
	// CaptureGuaranteedUntil: capture before it; zero when Vipps does not say.
	CaptureGuaranteedUntil time.Time
}

// PaymentEvent is one entry of a payment's event log or one webhook.
type PaymentEvent struct {
	Reference      string
	Name           string // CREATED, AUTHORIZED, ABORTED, EXPIRED, CANCELLED, CAPTURED, REFUNDED, TERMINATED
	Amount         Money
	PSPReference   string
	IdempotencyKey string
	Success        bool
	At             time.Time
}

// Receipt is the receipt attached to a payment (Order Management §7.3).
type Receipt struct {
	Currency      string
	POSID         string
	ReceiptNumber string
	Lines         []ReceiptLine
	// PaymentSources is the part of the total paid other than by Vipps
	// (Order Management bottomLine.paymentSources); nil for a sale Vipps
	// paid whole.
	PaymentSources *PaymentSources
}

// PaymentSources splits a receipt's total across the tenders that are not
// Vipps, in minor units.
type PaymentSources struct {
	GiftCard Money // gift vouchers
	Card     Money
	Voucher  Money // credit notes
	Cash     Money // before the cash rounding, so the sources and Vipps add up to the lines
}

// ReceiptLine is one VAT-correct order line: Total − TotalExclTax == Tax.
type ReceiptLine struct {
	ID           string
	Name         string
	Quantity     int
	UnitPrice    Money // incl. VAT, before discount
	Discount     Money
	Total        Money // incl. VAT, after discount
	TotalExclTax Money
	Tax          Money
	TaxRate      int // hundredths of a percent: 2500 = 25 %
	IsReturn     bool
}

// ErrorKind tells a caller what to do about a failed call.
type ErrorKind int

const (
	ErrUnknown      ErrorKind = iota
	ErrTransient              // network trouble, 5xx: retry with the same idempotency key
	ErrRateLimited            // 429: retry after RetryAfter
	ErrConflict               // already done / idempotency conflict: re-read the truth
	ErrInvalid                // our request was wrong: do not retry
	ErrPermanent              // Vipps refuses for good (state, limits): do not retry
	ErrUnauthorized           // credentials wrong or expired
	ErrNotFound               // unknown reference
	// ErrRetryLater: refused for now (a "try again later" code). The key is
	// spent: re-read the payment, then retry with a new Idempotency-Key.
	ErrRetryLater
)

func (k ErrorKind) String() string {
	switch k {
	case ErrTransient:
		return "transient"
	case ErrRateLimited:
		return "rate-limited"
	case ErrConflict:
		return "conflict"
	case ErrInvalid:
		return "invalid"
	case ErrPermanent:
		return "permanent"
	case ErrUnauthorized:
		return "unauthorized"
	case ErrNotFound:
		return "not-found"
	case ErrRetryLater:
		return "retry-later"
	}
	return "unknown"
}

// GatewayError is an error from Vipps (or the way to it).
type GatewayError struct {
	Kind       ErrorKind
	Status     int    // HTTP status, 0 when no answer came
	Code       string // Vipps error code, e.g. "6090"
	Message    string // for the log and the manager; never secrets or full phone numbers
	RetryAfter time.Duration
}

func (e *GatewayError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("vipps %s (HTTP %d, code %s): %s", e.Kind, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("vipps %s (HTTP %d): %s", e.Kind, e.Status, e.Message)
}

// KindOf returns the ErrorKind of err; plain context deadlines count as
// transient, anything unrecognised as ErrUnknown.
func KindOf(err error) ErrorKind {
	var ge *GatewayError
	switch {
	case err == nil:
		return ErrUnknown
	case errors.As(err, &ge):
		return ge.Kind
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTransient
	}
	return ErrUnknown
}

// Outcomes of a login that did not give us a member.
var (
	ErrLoginDeclined = errors.New("the customer declined the club enrolment")
	ErrLoginExpired  = errors.New("the enrolment request expired on the phone")
)
