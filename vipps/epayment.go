package vipps

import (
	"context"
	"github.com/kasse-pos/kasse/internal/msisdn"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Amount is money in minor units (øre, cent): {"currency":"NOK","value":49900}.
type Amount struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

// Payment states (ePayment). There is no captured state: money movement is
// read from the Aggregate.
const (
	StateCreated    = "CREATED"
	StateAuthorized = "AUTHORIZED"
	StateAborted    = "ABORTED"
	StateExpired    = "EXPIRED"
	StateTerminated = "TERMINATED"
)

// User flows the till uses.
const (
	FlowPushMessage = "PUSH_MESSAGE" // push to the customer's phone
	FlowQR          = "QR"           // a code on the customer display
)

// QR formats for FlowQR.
const (
	QRTargetURL = "TEXT/TARGETURL" // RedirectURL is the URL to encode ourselves
	QRSVG       = "IMAGE/SVG+XML"  // RedirectURL links to an SVG image (Vipps' default)
	QRPNG       = "IMAGE/PNG"
)

var (
	referencePattern = regexp.MustCompile(`^[a-zA-Z0-9-]{8,64}$`)
)

// ValidReference reports whether ref may be an ePayment reference:
// ^[a-zA-Z0-9-]{8,64}$ (8–64 since v1.7.0; it was 8–50 before).
func ValidReference(ref string) bool { return referencePattern.MatchString(ref) }

// CreatePayment is a push or QR payment at the till.
type CreatePayment struct {
	Reference      string // ^[a-zA-Z0-9-]{8,64}$, unique per sales unit
	IdempotencyKey string // derived from our own ids, identical on every retry (≤ 50 chars)
	Amount         Amount
	// Exactly one of MSISDN and PersonalQR for FlowPushMessage; either or
	// none for FlowQR.
	MSISDN      string
	PersonalQR  string // the complete scanned content, unchanged
	UserFlow    string // FlowPushMessage (default) or FlowQR
	QRFormat    string // for FlowQR; default QRTargetURL
	QRSize      int    // for QRPNG, 100–2000
	Description string // shown in the app; made 3–100 characters by PaymentDescription
	Receipt     *Receipt
	Metadata    map[string]string // ≤ 5 pairs; no personal data
	// MinimumUserAge (0–100; 0: none): Vipps refuses a younger customer
	// with 7010, the code of an unknown one.
	MinimumUserAge int
}

type customerJSON struct {
	PhoneNumber string `json:"phoneNumber,omitempty"`
	PersonalQr  string `json:"personalQr,omitempty"`
}

type qrFormatJSON struct {
	Format string `json:"format"`
	Size   int    `json:"size,omitempty"`
}

type createPaymentJSON struct {
	Amount              Amount            `json:"amount"`
	PaymentMethod       map[string]string `json:"paymentMethod"`
	Customer            *customerJSON     `json:"customer,omitempty"`
	CustomerInteraction string            `json:"customerInteraction"`
	Reference           string            `json:"reference"`
	UserFlow            string            `json:"userFlow"`
	QRFormat            *qrFormatJSON     `json:"qrFormat,omitempty"`
	PaymentDescription  string            `json:"paymentDescription"`
	Receipt             *Receipt          `json:"receipt,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	MinimumUserAge      int               `json:"minimumUserAge,omitempty"`
}

// CreatedPayment is the answer to a create.
type CreatedPayment struct {
	Reference   string
	RedirectURL string // FlowQR: the QR target or image link; empty for PUSH_MESSAGE
}

func (p CreatePayment) check(op string) *Error {
	switch {
	case !ValidReference(p.Reference):
		return invalid(op, "reference must match ^[a-zA-Z0-9-]{8,64}$")
	case p.IdempotencyKey == "" || len(p.IdempotencyKey) > 50:
		return invalid(op, "idempotency key must be 1–50 characters")
	case !validCurrency(p.Amount.Currency):
		return invalid(op, "currency must be NOK, DKK or EUR")
	case p.Amount.Value <= 0 || p.Amount.Value > 65000000:
		return invalid(op, "amount must be 1–65000000 minor units")
	case p.Amount.Currency == "NOK" && p.Amount.Value < 100:
		return invalid(op, "NOK payments must be at least 100 øre")
	case len([]rune(p.Description)) < 3 || len([]rune(p.Description)) > 100:
		return invalid(op, "description must be 3–100 characters")
	case p.MSISDN != "" && p.PersonalQR != "":
		return invalid(op, "give a phone number or a personal QR, not both")
	case p.MSISDN != "" && !msisdn.Pushable(p.MSISDN):
		return invalid(op, "phone number must be an MSISDN (10–15 digits)")
	case p.PersonalQR != "" && (len(p.PersonalQR) < 5 || len(p.PersonalQR) > 255):
		return invalid(op, "personal QR must be 5–255 characters")
	case p.UserFlow == FlowPushMessage && p.MSISDN == "" && p.PersonalQR == "":
		return invalid(op, "a push payment needs a phone number or a personal QR")
	case p.UserFlow != FlowPushMessage && p.UserFlow != FlowQR:
		return invalid(op, "user flow must be PUSH_MESSAGE or QR")
	case p.QRFormat != "" && p.QRFormat != QRTargetURL && p.QRFormat != QRSVG && p.QRFormat != QRPNG:
		return invalid(op, "QR format must be %s, %s or %s", QRTargetURL, QRSVG, QRPNG)
	case p.QRFormat == QRPNG && p.QRSize != 0 && (p.QRSize < 100 || p.QRSize > 2000):
		return invalid(op, "a PNG QR code must be 100–2000 pixels")
	case len(p.Metadata) > 5:
		return invalid(op, "at most 5 metadata pairs")
	case p.MinimumUserAge < 0 || p.MinimumUserAge > 100:
		return invalid(op, "minimum user age must be 0–100")
	}
	if p.Receipt != nil {
		if err := p.Receipt.Check(); err != nil {
			return invalid(op, "receipt: %v", err)
		}
	}
	return nil
}

func validCurrency(c string) bool { return c == "NOK" || c == "DKK" || c == "EUR" }

// PaymentDescription makes text (usually the store's name) a valid
// paymentDescription: Vipps counts 3–100 characters, not bytes, so "Øl"
// (two characters, three bytes) is too short and a name of 100 "æ" is not
// too long. Longer text is cut at 100 characters (never inside one);
// shorter than 3 characters is followed by " – Purchase", and no text at
// all is "Purchase". Broken UTF-8 (a name cut inside a character by
// whoever passed it on) loses the broken bytes.
func PaymentDescription(text string) string {
	d := []rune(strings.TrimSpace(strings.ToValidUTF8(text, "")))
	if len(d) > 100 {
		d = []rune(strings.TrimSpace(string(d[:100])))
	}
	switch {
	case len(d) == 0:
		return "Purchase"
	case len(d) < 3:
		return string(d) + " – Purchase"
	}
	return string(d)
}

// CreatePayment starts a payment with customerInteraction CUSTOMER_PRESENT
// (required at a till) and the WALLET method. Retries reuse
// p.IdempotencyKey, so a lost answer never creates a second payment.
func (c *Client) CreatePayment(ctx context.Context, p CreatePayment) (CreatedPayment, error) {
	const op = "epayment.create"
	if p.UserFlow == "" {
		p.UserFlow = FlowPushMessage
	}
	p.Description = PaymentDescription(p.Description)
	if err := p.check(op); err != nil {
		return CreatedPayment{}, err
	}
	body := createPaymentJSON{
		Amount:              p.Amount,
		PaymentMethod:       map[string]string{"type": "WALLET"},
		CustomerInteraction: "CUSTOMER_PRESENT",
		Reference:           p.Reference,
		UserFlow:            p.UserFlow,
		PaymentDescription:  p.Description,
		Receipt:             p.Receipt,
		Metadata:            p.Metadata,
		MinimumUserAge:      p.MinimumUserAge,
	}
	if p.MSISDN != "" || p.PersonalQR != "" {
		body.Customer = &customerJSON{PhoneNumber: p.MSISDN, PersonalQr: p.PersonalQR}
	}
	if p.UserFlow == FlowQR {
		f := qrFormatJSON{Format: p.QRFormat, Size: p.QRSize}
		if f.Format == "" {
			f.Format = QRTargetURL
		}
		if f.Format != QRPNG {
			f.Size = 0
		}
		body.QRFormat = &f
	}
	resp, err := c.do(ctx, request{op: op, method: "POST", path: "/epayment/v1/payments", json: body, idem: p.IdempotencyKey, retry: true})
	if err != nil {
		return CreatedPayment{}, err
	}
	var out struct {
		Reference   string `json:"reference"`
		RedirectURL string `json:"redirectUrl"`
	}
	if err := decode(op, resp, &out); err != nil {
		return CreatedPayment{}, err
	}
	attrs := []any{"reference", p.Reference, "amount", p.Amount.Value, "currency", p.Amount.Currency, "flow", p.UserFlow}
	if p.MSISDN != "" {
		attrs = append(attrs, "msisdn", MaskMSISDN(p.MSISDN))
	}
	c.log.Info("vipps payment created", attrs...)
	return CreatedPayment{Reference: out.Reference, RedirectURL: out.RedirectURL}, nil
}

// Aggregate is the money that has moved on a payment.
type Aggregate struct {
	Authorized Amount `json:"authorizedAmount"`
	Cancelled  Amount `json:"cancelledAmount"`
	Captured   Amount `json:"capturedAmount"`
	Refunded   Amount `json:"refundedAmount"`
}

// Payment is a payment as Vipps sees it: the answer to a get, capture,
// cancel or refund.
type Payment struct {
	Reference    string            `json:"reference"`
	State        string            `json:"state"`
	Amount       Amount            `json:"amount"`
	Aggregate    Aggregate         `json:"aggregate"`
	PSPReference string            `json:"pspReference"`
	RedirectURL  string            `json:"redirectUrl,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	// CaptureGuaranteedUntil: until when the reservation is guaranteed
	// (card networks may release it before the capture deadline); zero
	// when Vipps does not say.
	CaptureGuaranteedUntil time.Time `json:"captureGuaranteedUntil,omitzero"`
}

func (c *Client) payment(ctx context.Context, r request) (Payment, error) {
	resp, err := c.do(ctx, r)
	if err != nil {
		return Payment{}, err
	}
	var p Payment
	if err := decode(r.op, resp, &p); err != nil {
		return Payment{}, err
	}
	return p, nil
}

func paymentPath(ref, suffix string) string {
	return "/epayment/v1/payments/" + url.PathEscape(ref) + suffix
}

// GetPayment reads a payment.
func (c *Client) GetPayment(ctx context.Context, reference string) (Payment, error) {
	const op = "epayment.get"
	if !ValidReference(reference) {
		return Payment{}, invalid(op, "bad reference")
	}
	return c.payment(ctx, request{op: op, method: "GET", path: paymentPath(reference, ""), retry: true})
}

// PaymentEvent is one entry of a payment's event log, or one ePayment
// webhook (then MSN is set too).
type PaymentEvent struct {
	MSN            string    `json:"msn,omitempty"`
	Reference      string    `json:"reference"`
	PSPReference   string    `json:"pspReference"`
	Name           string    `json:"name"` // CREATED, AUTHORIZED, ABORTED, EXPIRED, CANCELLED, CAPTURED, REFUNDED, TERMINATED
	Amount         Amount    `json:"amount"`
	Timestamp      time.Time `json:"timestamp"`
	IdempotencyKey string    `json:"idempotencyKey,omitempty"` // may be absent (e.g. CANCELLED)
	Success        bool      `json:"success"`
}

// PaymentEvents reads a payment's event log, oldest first.
func (c *Client) PaymentEvents(ctx context.Context, reference string) ([]PaymentEvent, error) {
	const op = "epayment.events"
	if !ValidReference(reference) {
		return nil, invalid(op, "bad reference")
	}
	resp, err := c.do(ctx, request{op: op, method: "GET", path: paymentPath(reference, "/events"), retry: true})
	if err != nil {
		return nil, err
	}
	var evs []PaymentEvent
	if err := decode(op, resp, &evs); err != nil {
		return nil, err
	}
	return evs, nil
}

func (c *Client) modify(ctx context.Context, op, reference, action string, body any, idem string) (Payment, error) {
	if !ValidReference(reference) {
		return Payment{}, invalid(op, "bad reference")
	}
	if idem == "" || len(idem) > 50 {
		return Payment{}, invalid(op, "idempotency key must be 1–50 characters")
	}
	p, err := c.payment(ctx, request{op: op, method: "POST", path: paymentPath(reference, "/"+action), json: body, idem: idem, retry: true})
	if err == nil {
		c.log.Info("vipps payment "+action, "reference", reference, "state", p.State,
			"captured", p.Aggregate.Captured.Value, "cancelled", p.Aggregate.Cancelled.Value, "refunded", p.Aggregate.Refunded.Value)
	}
	return p, err
}

// Capture moves amount of the authorized money to the merchant. Each
// (partial) capture needs its own idempotency key; retries reuse it.
func (c *Client) Capture(ctx context.Context, reference string, amount Amount, idempotencyKey string) (Payment, error) {
	if amount.Value <= 0 {
		return Payment{}, invalid("epayment.capture", "capture amount must be positive")
	}
	return c.modify(ctx, "epayment.capture", reference, "capture", map[string]Amount{"modificationAmount": amount}, idempotencyKey)
}

// Refund returns amount of the captured money to the customer.
func (c *Client) Refund(ctx context.Context, reference string, amount Amount, idempotencyKey string) (Payment, error) {
	if amount.Value <= 0 {
		return Payment{}, invalid("epayment.refund", "refund amount must be positive")
	}
	return c.modify(ctx, "epayment.refund", reference, "refund", map[string]Amount{"modificationAmount": amount}, idempotencyKey)
}

// Cancel stops a payment before approval, or releases all uncaptured money
// after it. With transactionOnly it only cancels a payment not yet
// authorized (an authorized one gives code 6060), which is the safe choice
// when the till gives up waiting. The Idempotency-Key is not declared for
// cancel but recommended by the docs; we always send it.
func (c *Client) Cancel(ctx context.Context, reference string, transactionOnly bool, idempotencyKey string) (Payment, error) {
	return c.modify(ctx, "epayment.cancel", reference, "cancel", map[string]bool{"cancelTransactionOnly": transactionOnly}, idempotencyKey)
}

// ForceApprove approves a payment as the test user with phone number
// phone would (test environment only; it fails in production).
func (c *Client) ForceApprove(ctx context.Context, reference, phone string) error {
	const op = "epayment.force-approve"
	if !ValidReference(reference) || !msisdn.Pushable(phone) {
		return invalid(op, "bad reference or phone number")
	}
	_, err := c.do(ctx, request{op: op, method: "POST", path: "/epayment/v1/test/payments/" + url.PathEscape(reference) + "/approve",
		json: map[string]any{"customer": customerJSON{PhoneNumber: phone}}})
	return err
}
