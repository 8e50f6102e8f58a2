package app

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
)

// withPrinter configures a printer device (a file), so the till prints;
// the test then puts a paperRoll in its place.
func withPrinter(t *testing.T) func(*Config) {
	return func(c *Config) { c.Printer.Device = filepath.Join(t.TempDir(), "printer") }
}

// paperRoll records what the till printed.
type paperRoll struct {
	mu       sync.Mutex
	receipts []hardware.Receipt
}

func (p *paperRoll) Print(_ context.Context, r hardware.Receipt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.receipts = append(p.receipts, r)
	return nil
}

// After a paid sale whose receipt went to the Vipps app, the paper one is
// the copy, a second copy is refused, and a refund prints a Returkvittering
// with the refund's amounts and Vipps reference.
func TestCopyAndReturnReceiptsOfARunningTill(t *testing.T) {
	tl := startDemoTill(t, withPrinter(t))
	ctx := t.Context()
	roll := &paperRoll{}
	tl.printer = roll
	cs, _ := tl.session.Cashiers(ctx)
	if _, err := tl.session.Login(ctx, cs[0].ID, DemoManagerPIN); err != nil {
		t.Fatal(err)
	}
	till := tl.till
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tl, "the customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	paid := waitFor(t, tl, "paid and settled", func(v flow.View) bool { return v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone })

	if err := till.Reprint(ctx, paid.SaleID); err != nil {
		t.Fatal(err)
	}
	var ne *flow.NoticedError
	if err := till.Reprint(ctx, paid.SaleID); !errors.As(err, &ne) || ne.Notice.Key != "print.copy_taken" {
		t.Errorf("a second copy: %v", err)
	}
	if err := till.Refund(ctx, paid.SaleID, nil); err != nil {
		t.Fatal(err)
	}
	roll.mu.Lock()
	defer roll.mu.Unlock()
	if len(roll.receipts) != 2 {
		t.Fatalf("printed %d receipts: %+v", len(roll.receipts), roll.receipts)
	}
	if c := roll.receipts[0]; c.Kind != hardware.KindCopy || c.Total != int64(paid.Total) || c.PaymentRef != paid.Payment.Reference {
		t.Errorf("the copy: %+v", c)
	}
	r := roll.receipts[1]
	if r.Kind != hardware.KindReturn || r.Total != -int64(paid.Total) || r.PaymentRef != paid.Payment.Reference ||
		len(r.Lines) != 1 || r.Lines[0].Quantity != -1 || len(r.VAT) != 1 || r.VAT[0].Total != -int64(paid.Total) || r.ReceiptNumber != paid.ReceiptNumber+"-R1" {
		t.Errorf("the return receipt: %+v", r)
	}
}

// When Vipps will not take a sale's receipt, the till that made the sale
// prints the Salgskvittering on paper by itself.
func TestAParkedVippsReceiptIsPrintedOnPaper(t *testing.T) {
	tl := startDemoTill(t, withPrinter(t))
	ctx := t.Context()
	roll := &paperRoll{}
	tl.printer = roll
	till := tl.till
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tl, "the customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	paid := waitFor(t, tl, "paid and settled", func(v flow.View) bool { return v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone })
	// As if the receipt job had been parked: Vipps never had the receipt.
	if err := tl.db.Gorm().Model(&store.OutboxJobRow{}).Where("sale_id = ? AND kind = ?", paid.SaleID, flow.JobReceipt).Update("state", flow.JobParked).Error; err != nil {
		t.Fatal(err)
	}
	tl.receiptJobParked(ctx, flow.OutboxJob{SaleID: paid.SaleID, Kind: flow.JobReceipt, Reference: paid.Payment.Reference})
	roll.mu.Lock()
	got := append([]hardware.Receipt(nil), roll.receipts...)
	roll.mu.Unlock()
	if len(got) != 1 || got[0].Kind != hardware.KindSale || got[0].ReceiptNumber != paid.ReceiptNumber {
		t.Fatalf("printed %+v, want the sales receipt of %s", got, paid.ReceiptNumber)
	}
	rec, err := tl.db.LastJournalRecord(ctx, tl.cfg.Store.POSID, flow.JournalReceiptPrinted)
	if err != nil || rec.SaleID != paid.SaleID {
		t.Errorf("paper sales receipt journaled: %+v %v", rec, err)
	}
}
