package vipps

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// The receipt of a club member's sale (member prices, a group discount, an
// offer and a bonus cheque, as app.TestMemberSaleReceipt builds it from
// the real sale) goes to Order Management and passes the official schema:
// the gateway validates every request against order-management.v2.1.yaml.
func TestMemberReceiptPassesTheSchema(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "app", "testdata", "member-receipt.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	discounted := 0
	for _, l := range r.OrderLines {
		if l.Discount > 0 {
			discounted++
		}
	}
	if discounted != len(r.OrderLines) || discounted < 5 {
		t.Fatalf("%d of %d lines discounted", discounted, len(r.OrderLines))
	}
	f := newFixture(t)
	sent := 0
	f.gw.on("POST /order-management/v2/ECOM/receipts/"+ref, func(w http.ResponseWriter, _ *http.Request) {
		sent++
		writeJSON(w, 201, "0f6f2a4e-3c6b-4b8e-9a47-5a7c3c1e2d10")
	})
	if err := f.c.AddReceipt(ctx(t), ref, r); err != nil {
		t.Fatal(err)
	}
	if sent != 1 {
		t.Fatalf("%d receipts sent", sent)
	}
}
