package vipps

import (
	"encoding/json"
	"testing"
)

// A split sale's receipt carries paymentSources; the gateway checks the
// request against the official Order Management OpenAPI file.
func TestReceiptWithPaymentSourcesFollowsTheContract(t *testing.T) {
	f := newFixture(t)
	routeEverything(f)
	r := testReceipt()
	r.BottomLine.PaymentSources = &PaymentSources{Card: 1500, Cash: 2000, GiftCard: 1000, Voucher: 500}
	if err := f.c.AddReceipt(ctx(t), ref, *r); err != nil {
		t.Fatalf("receipt: %v", err)
	}
	calls := f.gw.CallsTo("POST", "/order-management/v2/ECOM/receipts/"+ref)
	if len(calls) != 1 {
		t.Fatalf("receipt calls: %+v", f.gw.Calls())
	}
	var body struct {
		BottomLine struct {
			PaymentSources map[string]int64 `json:"paymentSources"`
		} `json:"bottomLine"`
	}
	if err := json.Unmarshal(calls[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"card": 1500, "cash": 2000, "giftCard": 1000, "voucher": 500}
	for k, v := range want {
		if body.BottomLine.PaymentSources[k] != v {
			t.Errorf("paymentSources %v, want %v", body.BottomLine.PaymentSources, want)
		}
	}
}
