package flow

import (
	"context"
	"errors"
	"time"
)

// ErrNoRecord is returned by a Store when the thing asked for does not exist.
var ErrNoRecord = errors.New("no such record")

// ErrStaleSale is returned by SaveSale for a transition computed from an
// older copy of the sale than the one stored: it is not written.
var ErrStaleSale = errors.New("the sale was changed since this copy was read")

// Store is the persistence flow needs; app/store implements it with GORM.
// Every method is one database transaction.
type Store interface {
	// Catalogue.
	ProductByGTIN(ctx context.Context, gtin string) (Product, error)
	SearchProducts(ctx context.Context, query string, limit int) ([]Product, error)

	// Club.
	MemberByMSISDN(ctx context.Context, msisdn string) (*Member, error)

	// CreateSale stores a new open sale for s.POSID, assigning ID,
	// ReceiptSeq and ReceiptNumber.
	CreateSale(ctx context.Context, s *Sale, j JournalEntry) error
	// SaveSale stores a transition of a sale atomically: the sale's new
	// state, its journal entries, new Vipps events, a newly enrolled
	// member and settlement jobs all commit together or not at all.
	SaveSale(ctx context.Context, c SaleChange) error
	// OpenSales returns the sales of a till that are not paid or voided.
	OpenSales(ctx context.Context, posID string) ([]*Sale, error)
	// Sale loads one sale with its lines, customer and current payment.
	Sale(ctx context.Context, id int64) (*Sale, error)
	// RecentSales lists the newest finished sales of a till.
	RecentSales(ctx context.Context, posID string, n int) ([]SaleSummary, error)
	// Journal returns a sale's audit trail, oldest first.
	Journal(ctx context.Context, saleID int64) ([]JournalEntry, error)
	// SaleIDByReference finds the sale a payment reference belongs to;
	// ErrNoRecord for a reference found to be another installation's
	// payment (Payment.NotOurs).
	SaleIDByReference(ctx context.Context, reference string) (int64, error)
	// PaymentEvents returns every Vipps event kept for a reference.
	PaymentEvents(ctx context.Context, reference string) ([]PaymentEvent, error)

	// Settlement as seen from the till; the worker updates the jobs.
	SettlementStatus(ctx context.Context, saleID int64) (SettlementStatus, error)
	ParkedJobs(ctx context.Context) ([]ParkedJob, error)
	CountParked(ctx context.Context) (int, error)
	RetryJob(ctx context.Context, id int64, now time.Time) error
	// AddRefund records returned quantities and queues the refund job in
	// one transaction.
	AddRefund(ctx context.Context, saleID int64, returned map[int]int, job OutboxJob, j JournalEntry) error
}

// SaleChange is one transition of a sale, stored atomically.
type SaleChange struct {
	Sale         *Sale
	LinesChanged bool // replace the stored lines
	Journal      []JournalEntry
	Events       []PaymentEvent // new events for payments of this sale (duplicates are ignored)
	NewMember    *Member        // created (or updated by Sub) and linked as the sale's customer
	Jobs         []OutboxJob    // settlement jobs to queue
	// Tenders are new tenders of the sale (also appended to Sale.Tenders);
	// Redeem takes vouchers' amounts off their balances, refused as a
	// whole (ErrVoucherSpent) when a balance does not cover it.
	Tenders []Tender
	Redeem  []VoucherRedemption
	// Points earned by the member when the sale is paid, applied with the
	// sale (PointsStore); the store fills in the balance and cheques.
	Points *PointsAward
	// EventsOnly stores Events and Journal without writing the sale: a
	// late event for a finished sale must not overwrite what others
	// (the settlement worker) changed since it was read.
	EventsOnly bool
}
