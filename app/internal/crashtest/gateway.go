package crashtest

import (
	"context"
	"errors"
	"strconv"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

// settlementGateway is the part of flow.Vipps the settlement worker uses,
// on the vipps client. It is the harness's own small adapter so the crash
// test does not depend on the till's wiring; the checkout's calls are not
// needed here.
type settlementGateway struct {
	flow.Vipps // nil: the checkout's calls panic if anything uses them
	c          *vipps.Client
	currency   string
}

func gatewayErr(err error) error {
	if err == nil {
		return nil
	}
	var ve *vipps.Error
	if !errors.As(err, &ve) {
		return err
	}
	kinds := map[vipps.Kind]flow.ErrorKind{vipps.Transient: flow.ErrTransient, vipps.RateLimited: flow.ErrRateLimited,
		vipps.Conflict: flow.ErrConflict, vipps.Invalid: flow.ErrInvalid, vipps.Permanent: flow.ErrPermanent,
		vipps.Unauthorized: flow.ErrUnauthorized, vipps.NotFound: flow.ErrNotFound}
	return &flow.GatewayError{Kind: kinds[ve.Kind], Status: ve.Status, Code: ve.Code, Message: ve.Message(), RetryAfter: ve.RetryAfter}
}

func paymentInfo(p vipps.Payment) flow.PaymentInfo {
	return flow.PaymentInfo{Reference: p.Reference, State: p.State, Amount: flow.Money(p.Amount.Value),
		Authorized: flow.Money(p.Aggregate.Authorized.Value), Captured: flow.Money(p.Aggregate.Captured.Value),
		Cancelled: flow.Money(p.Aggregate.Cancelled.Value), Refunded: flow.Money(p.Aggregate.Refunded.Value)}
}

func (g *settlementGateway) GetPayment(ctx context.Context, ref string) (flow.PaymentInfo, error) {
	p, err := g.c.GetPayment(ctx, ref)
	return paymentInfo(p), gatewayErr(err)
}

func (g *settlementGateway) PaymentEvents(ctx context.Context, ref string) ([]flow.PaymentEvent, error) {
	evs, err := g.c.PaymentEvents(ctx, ref)
	out := make([]flow.PaymentEvent, len(evs))
	for i, e := range evs {
		out[i] = flow.PaymentEvent{Reference: e.Reference, Name: e.Name, Amount: flow.Money(e.Amount.Value),
			PSPReference: e.PSPReference, IdempotencyKey: e.IdempotencyKey, Success: e.Success, At: e.Timestamp}
	}
	return out, gatewayErr(err)
}

func (g *settlementGateway) Capture(ctx context.Context, ref string, amount flow.Money, key string) (flow.PaymentInfo, error) {
	p, err := g.c.Capture(ctx, ref, vipps.Amount{Currency: g.currency, Value: int64(amount)}, key)
	return paymentInfo(p), gatewayErr(err)
}

func (g *settlementGateway) Refund(ctx context.Context, ref string, amount flow.Money, key string) (flow.PaymentInfo, error) {
	p, err := g.c.Refund(ctx, ref, vipps.Amount{Currency: g.currency, Value: int64(amount)}, key)
	return paymentInfo(p), gatewayErr(err)
}

func (g *settlementGateway) AddReceipt(ctx context.Context, ref string, r flow.Receipt) error {
	vr := vipps.Receipt{BottomLine: vipps.BottomLine{Currency: r.Currency, POSID: r.POSID, ReceiptNumber: r.ReceiptNumber}}
	for _, l := range r.Lines {
		vr.OrderLines = append(vr.OrderLines, vipps.OrderLine{Name: l.Name, ID: l.ID, TotalAmount: int64(l.Total),
			TotalAmountExcludingTax: int64(l.TotalExclTax), TotalTaxAmount: int64(l.Tax), TaxRate: l.TaxRate,
			UnitInfo: &vipps.UnitInfo{UnitPrice: int64(l.UnitPrice), Quantity: strconv.Itoa(l.Quantity), QuantityUnit: "PCS"},
			Discount: int64(l.Discount), IsReturn: l.IsReturn})
	}
	return gatewayErr(g.c.AddReceipt(ctx, ref, vr))
}
