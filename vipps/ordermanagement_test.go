package vipps

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

func TestSplitVAT(t *testing.T) {
	cases := []struct {
		gross     int64
		rate      int
		net, tax  int64
		situation string
	}{
		{239900, 2500, 191920, 47980, "API.md example, 25 %"},
		{1000, 2500, 800, 200, "docs' socks"},
		{4980, 1500, 4330, 650, "food 15 %, 649.57 rounds up"},
		{100, 1200, 89, 11, "12 %, 10.71 rounds up"},
		{999, 0, 999, 0, "zero-rated"},
		{1, 2500, 1, 0, "0.2 øre of tax rounds down"},
		{1111, 1111, 1000, 111, "11.11 %"},
	}
	for _, c := range cases {
		net, tax := SplitVAT(c.gross, c.rate)
		if net != c.net || tax != c.tax || net+tax != c.gross {
			t.Errorf("%s: SplitVAT(%d, %d) = %d + %d, want %d + %d", c.situation, c.gross, c.rate, net, tax, c.net, c.tax)
		}
	}
}

func TestReceiptMatchesGoldenAndChecks(t *testing.T) {
	var golden Receipt
	if err := json.Unmarshal(mustRead("receipt.json"), &golden); err != nil {
		t.Fatal(err)
	}
	if got := testReceipt(); !reflect.DeepEqual(*got, golden) {
		t.Fatalf("NewOrderLine receipt differs from testdata/receipt.json:\n%+v\n%+v", *got, golden)
	}
	if err := golden.Check(); err != nil {
		t.Fatal(err)
	}
	if golden.Total() != 4980+239900 {
		t.Fatalf("total %d", golden.Total())
	}
	ret := golden
	ret.OrderLines = append([]OrderLine{}, golden.OrderLines...)
	ret.OrderLines[0].IsReturn = true
	if ret.Total() != 239900-4980 {
		t.Fatalf("return line not subtracted: %d", ret.Total())
	}
	bad := []func(r *Receipt){
		func(r *Receipt) { r.OrderLines = nil },
		func(r *Receipt) { r.OrderLines[0].TotalTaxAmount++ },
		func(r *Receipt) { r.OrderLines[0].TotalAmount = -1 },
		func(r *Receipt) { r.OrderLines[0].TaxRate = 10001 },
		func(r *Receipt) { r.BottomLine.Currency = "SEK" },
		func(r *Receipt) { r.OrderLines[0].UnitInfo.Quantity = "1,5" },
	}
	for i, breakIt := range bad {
		r := *testReceipt()
		breakIt(&r)
		if r.Check() == nil {
			t.Errorf("broken receipt %d passed Check", i)
		}
	}
}

func TestSecondReceiptIsAConflict(t *testing.T) {
	f := newFixture(t)
	n := 0
	f.gw.on("POST /order-management/v2/ECOM/receipts/"+ref, func(w http.ResponseWriter, r *http.Request) {
		if n++; n > 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(409)
			_, _ = w.Write([]byte(`{"type":"conflict","title":"Conflict","detail":"Receipt already exists","instance":"/v2/ECOM/receipts/x"}`))
			return
		}
		writeJSON(w, 201, "0f6f2a4e-3c6b-4b8e-9a47-5a7c3c1e2d10")
	})
	if err := f.c.AddReceipt(ctx(t), ref, *testReceipt()); err != nil {
		t.Fatal(err)
	}
	if err := f.c.AddReceipt(ctx(t), ref, *testReceipt()); KindOf(err) != Conflict {
		t.Fatalf("second receipt: %v", err)
	}
	r := *testReceipt()
	r.OrderLines[1].TotalTaxAmount = 1
	if err := f.c.AddReceipt(ctx(t), ref, r); KindOf(err) != Invalid || n != 2 {
		t.Fatalf("VAT-inconsistent receipt sent: %v", err)
	}
}
