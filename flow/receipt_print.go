package flow

import (
	"context"
	"errors"
	"time"
)

// ReceiptKind is which receipt a paper print is (kassasystemforskrifta
// §§ 2-8-2 … 2-8-7); the printer marks each as the regulation asks.
type ReceiptKind string

const (
	ReceiptSale        ReceiptKind = "sale"        // "Salgskvittering": the customer's receipt
	ReceiptCopy        ReceiptKind = "copy"        // "KOPI": at most one per sale, on any till
	ReceiptReturn      ReceiptKind = "return"      // "Returkvittering"
	ReceiptProvisional ReceiptKind = "provisional" // before payment: not proof of purchase
	ReceiptTraining    ReceiptKind = "training"    // training mode: not proof of purchase
	ReceiptDelivery    ReceiptKind = "delivery"    // goods handed over on credit: not proof of purchase
)

// NotProofOfPurchase says the receipt must carry "IKKJE KVITTERING FOR
// KJØP" (§ 2-8-7), in type larger than its amount.
func (k ReceiptKind) NotProofOfPurchase() bool {
	return k == ReceiptProvisional || k == ReceiptTraining || k == ReceiptDelivery
}

// ErrCopyTaken: the one copy of a sale's receipt the regulation allows
// was printed already (on this till or another on the same database).
var ErrCopyTaken = errors.New("the copy of this receipt has already been printed")

// ReceiptPrints is the database's record of which paper receipts were
// printed for each sale; app/store implements it with a unique index, so the
// rule holds across every till that shares the database.
type ReceiptPrints interface {
	// ClaimReceiptPrint records that kind is printed for sale; it returns
	// ErrCopyTaken when that kind is already recorded for it.
	ClaimReceiptPrint(ctx context.Context, saleID int64, kind ReceiptKind, tillID string, at time.Time) error
	// ReleaseReceiptPrint withdraws a claim whose print failed.
	ReleaseReceiptPrint(ctx context.Context, saleID int64, kind ReceiptKind) error
	// VippsReceiptSent says whether the sale's receipt was attached to the
	// payment in the customer's Vipps app (the settlement's receipt job).
	VippsReceiptSent(ctx context.Context, saleID int64) (bool, error)
}

// ClaimPaperReceipt decides what a paper receipt of a paid sale is and
// claims it. The customer's first receipt is the Salgskvittering: the
// receipt in the Vipps app when it was attached, else the first paper one.
// Any paper receipt after that is the copy, of which there is one.
func ClaimPaperReceipt(ctx context.Context, rp ReceiptPrints, saleID int64, tillID string, at time.Time) (ReceiptKind, error) {
	inApp, err := rp.VippsReceiptSent(ctx, saleID)
	if err != nil {
		return "", err
	}
	if !inApp {
		err := rp.ClaimReceiptPrint(ctx, saleID, ReceiptSale, tillID, at)
		if err == nil {
			return ReceiptSale, nil
		}
		if !errors.Is(err, ErrCopyTaken) {
			return "", err
		}
	}
	if err := rp.ClaimReceiptPrint(ctx, saleID, ReceiptCopy, tillID, at); err != nil {
		return "", err
	}
	return ReceiptCopy, nil
}
