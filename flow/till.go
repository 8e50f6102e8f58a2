// Package flow is kasse's domain: the sale, the club and the checkout state
// machine that reads like the Vipps MobilePay "in-store payments with
// customer club" flow, plus the settlement worker. It is pure Go: no Fyne,
// no database drivers, no HTTP servers. The interfaces it needs from the
// outside world (the store, Vipps) are declared here and implemented by
// app/store and an adapter in app.
//
// This file is the contract between flow and the UI: the UI renders a View
// and sends the cashier's intents through Till. Nothing else crosses.
package flow

import (
	"context"
	"time"
)

// Money is an amount in minor units (øre, cent). Never a float.
type Money int64

// ScanKind is what a scanned code was recognised as by the scanner layer.
type ScanKind string

const (
	ScanProduct    ScanKind = "product"     // EAN-8/EAN-13/UPC-A/GTIN-14 with a valid check digit
	ScanCustomerQR ScanKind = "customer-qr" // a personal Vipps or MobilePay QR, kept opaque
	ScanUnknown    ScanKind = "unknown"     // neither; Code is the scanner layer's description of what was read
)

// Scan is one code read by a scanner (or typed on the keypad).
type Scan struct {
	Kind   ScanKind
	Code   string // as read; for products the normalised GTIN
	Source string // "cashier", "customer" or "keypad"
}

// Stage is where the sale is in the checkout flow.
type Stage string

const (
	StageIdle      Stage = "idle"      // nothing scanned yet: the customer display welcomes
	StageOpen      Stage = "open"      // wares and/or a customer, no payment sent
	StagePaying    Stage = "paying"    // a payment request is out; the sale is locked
	StagePaid      Stage = "paid"      // authorized; handed to the settlement worker
	StageCancelled Stage = "cancelled" // voided by the cashier
)

// PaymentStatus is the live state of the sale's payment request.
type PaymentStatus string

const (
	PaymentRequesting PaymentStatus = "requesting" // sending createPayment
	PaymentWaiting    PaymentStatus = "waiting"    // on the customer's phone (or QR shown)
	PaymentAuthorized PaymentStatus = "authorized"
	PaymentDeclined   PaymentStatus = "declined" // ABORTED by the customer
	PaymentExpired    PaymentStatus = "expired"
	PaymentCancelled  PaymentStatus = "cancelled" // by the cashier, before approval
	PaymentFailed     PaymentStatus = "failed"    // Vipps refused the request (e.g. unknown user)
)

// EnrolmentStatus is the state of a club enrolment (Login by phone number).
type EnrolmentStatus string

const (
	EnrolmentPending  EnrolmentStatus = "pending" // consent request on the phone; show the binding message
	EnrolmentDone     EnrolmentStatus = "enrolled"
	EnrolmentDeclined EnrolmentStatus = "declined"
	EnrolmentExpired  EnrolmentStatus = "expired"
	EnrolmentFailed   EnrolmentStatus = "failed"
)

// SettlementStatus is how far the worker has come with receipt and capture.
type SettlementStatus string

const (
	SettlementQueued   SettlementStatus = "queued"
	SettlementDone     SettlementStatus = "done"   // receipt attached, captured and confirmed
	SettlementParked   SettlementStatus = "parked" // needs a manager; see ParkedJob
	SettlementRefunded SettlementStatus = "refunded"
)

// View is a snapshot of the till for rendering. It is immutable once handed
// out: the UI may keep it and read it from any goroutine.
type View struct {
	Stage         Stage
	SaleID        int64
	ReceiptNumber string
	Currency      string // NOK, DKK or EUR

	Lines []LineView
	Total Money     // incl. VAT, after discounts
	VAT   []VATLine // one per rate present, ascending rate

	// Tenders taken so far; Due is what is left (with the cash rounding),
	// Change the cash to hand back from the latest tender.
	Tenders  []TenderView
	Paid     Money
	Due      Money
	Rounding Money
	Change   Money

	Customer  *CustomerView  // nil until a personal QR is scanned
	Enrolment *EnrolmentView // nil unless an enrolment was started this sale
	Payment   *PaymentView   // nil until payment is requested

	// Notice is the latest thing the cashier must be told (a bad scan, an
	// API error, a refused action). Seq increases with every new notice so
	// the UI can tell a repeat of the same text from the old one.
	Notice *Notice

	Settlement SettlementStatus // for the last paid sale, "" before
	Parked     int              // settlement jobs waiting for a manager (all sales)

	// What the cashier may do now: exactly what the intents take. The
	// windows enable and show buttons by these, never by rules of their own.
	CanChangeLines    bool // SetQuantity (the wares of an open sale)
	CanEnrol          bool // Enrol: a known non-member, no enrolment waiting
	CanRequestPayment bool // RequestPayment: a push to the identified customer
	CanPayByQR        bool // PayByQR: a QR on the display (also instead of a push still out)
	CanCancel         bool // CancelPayment: a request is out, not answered
	CanVoid           bool // VoidSale: an open sale with no request out
	CanNewSale        bool // NewSale: the last sale is paid or voided
	CanTender         bool // Tender: cash, card or voucher for what is due
	CanPayAnotherWay  bool // PayAnotherWay: give up the Vipps request that is out

	ParkedSales int  // sales this till has put aside, to resume
	CanPark     bool // ParkSale: the live sale may be parked now
	CanResume   bool // ResumeSale: a sale is parked and none is open

	// Training: the till is in training mode; both screens and every
	// receipt say so, and nothing reaches Vipps.
	Training bool

	// Club savings on this sale: Discount is everything off the lines;
	// MemberSavings the part a member has for being one ("You save kr X
	// as a member"); JoinSavings what an identified non-member would save
	// by joining now ("Join now and save kr X today").
	Discount      Money
	MemberSavings Money
	JoinSavings   Money
	ChequeUsed    Money       // a bonus cheque redeemed on the sale (part of Discount)
	Points        *PointsView // the member's points; nil for non-members
	// CanUseCheque: the member has a bonus cheque this open sale may use
	// (ClubTill.UseCheque); CanRemoveCustomer: ClubTill.RemoveCustomer.
	CanUseCheque      bool
	CanRemoveCustomer bool
}

// PointsView is the member's points on the screens. After the sale is
// paid, Earned is what it earned and Balance the new balance.
type PointsView struct {
	Earned        int64
	Balance       int64
	Cheques       int   // usable bonus cheques
	ChequesIssued int   // cheques the paid sale issued
	ChequeValue   Money // of Cheques, or of ChequesIssued after the sale
}

// LineView is one cart line.
type LineView struct {
	GTIN      string
	Name      string
	Quantity  int
	UnitPrice Money // incl. VAT, before discount
	Discount  Money // total discount on the line
	Total     Money // incl. VAT, after discount
	VATRate   int   // percent: 25, 15, 12 or 0
	// MemberSaving is the part of Discount the customer has as a member.
	MemberSaving Money
	Rules        []string // why the line is discounted (Rule… constants)
	Offers       []string // the names of the offers among Rules, as the store wrote them
}

// VATLine sums the cart per VAT rate.
type VATLine struct {
	Rate  int   // percent
	Gross Money // incl. VAT
	Net   Money
	VAT   Money
}

// CustomerView is what the till may show about the identified customer.
// The customer display shows FirstName only.
type CustomerView struct {
	MaskedPhone string // e.g. "+47 ••• •• 567"
	FirstName   string // empty for non-members
	Member      bool
	CheckedIn   bool   // the Check-in API was called
	Lang        string // the member's preferred language for the customer display, "" if unknown
	// Consented: the club's marketing consents the member said yes to,
	// as worded in the app; shown once, right after enrolling.
	Consented []string
}

// EnrolmentView drives the enrolment prompt on both screens.
type EnrolmentView struct {
	Status         EnrolmentStatus
	BindingMessage string // the code the customer compares on the phone
	ExpiresAt      time.Time
}

// PaymentView drives the payment panel and the customer display.
type PaymentView struct {
	Status    PaymentStatus
	Reference string
	Amount    Money
	ExpiresAt time.Time // for the countdown
	QR        string    // when paying by QR: the content to render as a QR code
	Push      bool      // true: sent to the customer's phone
	// Cancelling: the cashier cancelled (or switched to QR); Vipps has not
	// confirmed yet.
	Cancelling bool
}

// NoticeKind says how loudly to show a notice.
type NoticeKind string

const (
	NoticeInfo    NoticeKind = "info"
	NoticeWarning NoticeKind = "warning"
	NoticeError   NoticeKind = "error"
)

// Notice is a message for the cashier. Key is a stable translation key
// (e.g. "scan.unknown_product"); Args fill its placeholders; Text is the
// English text, used when no translation exists.
type Notice struct {
	Seq  int64
	Kind NoticeKind
	Key  string
	Args map[string]string
	Text string
}

// Product is a catalogue item.
type Product struct {
	GTIN    string
	Name    string
	Price   Money // incl. VAT
	VATRate int   // percent: 25, 15, 12 or 0
	Active  bool
	// MinimumAge is the age a buyer must have (18 for beer, tobacco); 0:
	// none. Vipps checks it against the customer's birth date.
	MinimumAge int
	// MemberPrice is what a club member pays per unit, incl. VAT; 0: the
	// ordinary price (or the group's member discount).
	MemberPrice Money
	// Group is the article group, for member discounts and offers by group.
	Group string
}

// SaleSummary is a finished sale for the "last sales" list.
type SaleSummary struct {
	SaleID        int64
	ReceiptNumber string
	At            time.Time
	Total         Money
	Member        bool
	Payment       PaymentStatus
	Settlement    SettlementStatus
	Refunded      Money
	// Stage is paid or cancelled; a sale paid without Vipps has no
	// Payment status.
	Stage Stage
}

// ParkedJob is a settlement job that failed permanently and needs a person.
type ParkedJob struct {
	ID            int64
	SaleID        int64
	ReceiptNumber string
	Reference     string
	Job           string // "receipt", "capture", "confirm", "refund"
	Error         string // what Vipps said, for the manager
	Since         time.Time
	// CaptureBy is, for a capture, until when Vipps guarantees the money
	// (zero: not known). A capture still trying within CaptureWarning of
	// it is listed although not parked (Parked false: no Retry needed).
	CaptureBy time.Time
	Parked    bool
}

// Till is everything the UI may ask of the checkout. Intents return quickly
// after recording the transition; network calls continue in the background
// and their outcome arrives as a new View. Errors returned are for the
// cashier (already recorded as a Notice as well).
type Till interface {
	// View returns the current snapshot.
	View() View
	// Subscribe calls fn with every new View until cancel is called. fn runs
	// on a flow goroutine: the UI must hand the update to its own thread.
	Subscribe(fn func(View)) (cancel func())

	// Scan handles a code from any scanner, at any time during the sale.
	Scan(ctx context.Context, s Scan) error
	// AddProduct adds qty of the product with this GTIN (keypad or search).
	AddProduct(ctx context.Context, gtin string, qty int) error
	// SetQuantity changes line i (0-based); 0 removes it.
	SetQuantity(ctx context.Context, line, qty int) error
	// SearchProducts finds active products by name or GTIN prefix.
	SearchProducts(ctx context.Context, query string, limit int) ([]Product, error)

	// Enrol starts the club enrolment of the identified non-member.
	Enrol(ctx context.Context) error
	// RequestPayment sends a push payment request to the identified customer.
	RequestPayment(ctx context.Context) error
	// PayByQR requests payment by a QR code on the customer display instead.
	PayByQR(ctx context.Context) error
	// CancelPayment cancels the outstanding request unless it was approved.
	CancelPayment(ctx context.Context) error
	// Tender takes cash, card or a voucher for (part of) what is due.
	Tender(ctx context.Context, req TenderRequest) error
	// PayAnotherWay gives up the Vipps request that is out, so what is due
	// can be taken by another tender.
	PayAnotherWay(ctx context.Context) error
	// VoidSale abandons the open sale (not allowed while paying).
	VoidSale(ctx context.Context) error
	// NewSale starts the next sale after a paid or cancelled one.
	NewSale(ctx context.Context) error

	// RecentSales lists the last n finished sales, newest first.
	RecentSales(ctx context.Context, n int) ([]SaleSummary, error)
	// ParkedJobs lists settlement jobs that need a manager.
	ParkedJobs(ctx context.Context) ([]ParkedJob, error)
	// RetryParked puts a parked job back in the queue.
	RetryParked(ctx context.Context, id int64) error
	// Refund returns qty of each given line of a finished sale to the
	// customer through the settlement worker; nil lines means everything.
	Refund(ctx context.Context, saleID int64, lines map[int]int) error
	// RefundTo returns lines through the tenders they were paid with, or
	// as a credit note.
	RefundTo(ctx context.Context, saleID int64, req RefundRequest) (RefundResult, error)
	// Reprint prints a copy of a finished sale's receipt.
	Reprint(ctx context.Context, saleID int64) error

	// ParkSale puts the open sale aside and clears the till.
	ParkSale(ctx context.Context) error
	// ParkedSales lists this till's parked sales.
	ParkedSales(ctx context.Context) ([]SaleSummary, error)
	// ResumeSale takes a parked sale up again.
	ResumeSale(ctx context.Context, saleID int64) error
}
