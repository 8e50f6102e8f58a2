package flow_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/flow/flowtest"
	"github.com/kasse-pos/kasse/flow/inmem"
)

// TestReprintWithoutPrinterIsNoCopy: a till with no printer says so, and
// the journal counts no copy receipt that was never printed; with a
// printer the copy is journaled once.
func TestReprintWithoutPrinterIsNoCopy(t *testing.T) {
	ctx := context.Background()
	clock := flowtest.NewClock(t0)
	db := inmem.New(clock.Now)
	if err := db.UpsertProducts(ctx, catalogue()); err != nil {
		t.Fatal(err)
	}
	mem := flow.NewMemoryJournal()
	j := flow.NewElectronicJournal(mem, "pos1", time.UTC, clock.Now)
	var printed int
	for _, withPrinter := range []bool{false, true} {
		v := &flowtest.Vipps{QR: map[string]string{qrKari: kari}}
		opt := flow.Options{POSID: "pos1", Store: db, Vipps: v, Clock: clock, OnReceiptPrinted: j.ReceiptPrinted}
		if withPrinter {
			opt.Print = func(context.Context, *flow.Sale, flow.ReceiptKind) error { printed++; return nil }
		}
		c := flow.NewCheckout(opt)
		if err := c.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		till := &flow.JournaledTill{Till: c, Journal: j, Sales: db}
		if err := c.AddProduct(ctx, melk, 1); err != nil {
			t.Fatal(err)
		}
		id := c.View().SaleID
		if err := c.VoidSale(ctx); err != nil {
			t.Fatal(err)
		}
		err := till.Reprint(ctx, id)
		copies, _ := mem.JournalRecords(ctx, flow.JournalQuery{TillID: "pos1", Events: []flow.JournalEvent{flow.JournalCopyReceipt}})
		var ne *flow.NoticedError
		switch {
		case !withPrinter && (!errors.As(err, &ne) || ne.Notice.Key != "print.no_printer" || len(copies) != 0):
			t.Errorf("no printer: %v, %d copies journaled", err, len(copies))
		case withPrinter && (err != nil || printed != 1 || len(copies) != 1):
			t.Errorf("with a printer: %v, %d printed, %d copies journaled", err, printed, len(copies))
		}
		if n := c.View().Notice; withPrinter && (n == nil || n.Key != "print.copy_printed") {
			t.Errorf("after printing the copy the till says %+v", n)
		}
	}
}
