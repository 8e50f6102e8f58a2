package app

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

// vippsGateway gives flow the Vipps it asks for (flow.Vipps) on top of the
// vipps client, translating types and error kinds at the boundary so flow
// stays free of HTTP details.
type vippsGateway struct {
	c        *vipps.Client
	clubName string
	currency string // the sales unit's: for new payments that name none

	mu         sync.Mutex
	currencies map[string]string // reference → the payment's own currency, as created or read
}

var _ flow.Vipps = (*vippsGateway)(nil)

func newVippsGateway(c *vipps.Client, clubName, currency string) *vippsGateway {
	return &vippsGateway{c: c, clubName: clubName, currency: currency, currencies: map[string]string{}}
}

// NewVippsGateway is the till's flow.Vipps on a vipps client, for harnesses
// that build a checkout or a settlement worker of their own.
func NewVippsGateway(c *vipps.Client, clubName, currency string) flow.Vipps {
	return newVippsGateway(c, clubName, currency)
}

func (g *vippsGateway) ExchangeQR(ctx context.Context, qr string) (string, error) {
	msisdn, err := g.c.MSISDNFromQR(ctx, qr)
	return msisdn, gatewayError(err)
}

func (g *vippsGateway) CheckIn(ctx context.Context, msisdn string, member bool) error {
	_, err := g.c.CheckIn(ctx, msisdn, member, g.clubName)
	return gatewayError(err)
}

func (g *vippsGateway) StartLogin(ctx context.Context, msisdn, bindingMessage string, scopes []string) (flow.LoginRequest, error) {
	lr, err := g.c.StartLogin(ctx, msisdn, bindingMessage, scopes)
	if err != nil {
		return flow.LoginRequest{}, gatewayError(err)
	}
	return flow.LoginRequest{AuthReqID: lr.AuthReqID, ExpiresAt: lr.ExpiresAt, Interval: lr.Interval}, nil
}

func (g *vippsGateway) FinishLogin(ctx context.Context, req flow.LoginRequest) (flow.MemberClaims, error) {
	claims, err := g.c.FinishLogin(ctx, vipps.LoginRequest{AuthReqID: req.AuthReqID, ExpiresAt: req.ExpiresAt, Interval: req.Interval})
	switch {
	case errors.Is(err, vipps.ErrLoginDeclined):
		return flow.MemberClaims{}, flow.ErrLoginDeclined
	case errors.Is(err, vipps.ErrLoginExpired):
		return flow.MemberClaims{}, flow.ErrLoginExpired
	case errors.Is(err, vipps.ErrLoginCancelled):
		return flow.MemberClaims{}, err // the till stopped waiting; keeps context.Canceled in the chain
	case err != nil:
		return flow.MemberClaims{}, gatewayError(err)
	}
	return flow.MemberClaims{
		Sub: claims.Sub, Name: claims.Name, GivenName: claims.GivenName, FamilyName: claims.FamilyName,
		Email: claims.Email, Phone: claims.PhoneNumber, BirthDate: claims.BirthDate, Scopes: claims.Scopes,
		Consents: memberConsents(claims.DelegatedConsents),
	}, nil
}

// memberConsents keeps the marketing consents as the member answered them;
// an unreadable time of consent is now.
func memberConsents(dc *vipps.DelegatedConsents) []flow.MemberConsent {
	if dc == nil {
		return nil
	}
	at, err := time.Parse(time.RFC3339, dc.TimeOfConsent)
	if err != nil {
		at = time.Now().UTC()
	}
	out := make([]flow.MemberConsent, 0, len(dc.Consents))
	for _, c := range dc.Consents {
		out = append(out, flow.MemberConsent{ID: c.ID, Text: c.TextDisplayedToUser, Accepted: c.Accepted, Required: c.Required, At: at})
	}
	return out
}

func (g *vippsGateway) CreatePayment(ctx context.Context, req flow.PaymentRequest) (flow.CreatedPayment, error) {
	p := vipps.CreatePayment{
		Reference:      req.Reference,
		IdempotencyKey: req.IdempotencyKey,
		Amount:         vipps.Amount{Currency: g.currencyOr(req.Currency), Value: int64(req.Amount)},
		MSISDN:         req.MSISDN,
		PersonalQR:     req.PersonalQR,
		UserFlow:       vipps.FlowPushMessage,
		Description:    req.Description,
		MinimumUserAge: req.MinimumAge,
	}
	if req.ByQR {
		p.UserFlow = vipps.FlowQR
		p.QRFormat = vipps.QRTargetURL
		p.MSISDN, p.PersonalQR = "", ""
	}
	if req.Receipt != nil {
		r := toVippsReceipt(*req.Receipt)
		p.Receipt = &r
	}
	created, err := g.c.CreatePayment(ctx, p)
	if err != nil {
		return flow.CreatedPayment{}, gatewayError(err)
	}
	g.remember(req.Reference, p.Amount.Currency)
	return flow.CreatedPayment{Reference: created.Reference, QR: created.RedirectURL}, nil
}

func (g *vippsGateway) GetPayment(ctx context.Context, reference string) (flow.PaymentInfo, error) {
	p, err := g.c.GetPayment(ctx, reference)
	if err == nil {
		g.remember(reference, p.Amount.Currency)
	}
	return paymentInfo(p), gatewayError(err)
}

func (g *vippsGateway) PaymentEvents(ctx context.Context, reference string) ([]flow.PaymentEvent, error) {
	events, err := g.c.PaymentEvents(ctx, reference)
	if err != nil {
		return nil, gatewayError(err)
	}
	out := make([]flow.PaymentEvent, len(events))
	for i, e := range events {
		out[i] = paymentEvent(e)
	}
	return out, nil
}

func (g *vippsGateway) CancelPayment(ctx context.Context, reference string, transactionOnly bool, idempotencyKey string) (flow.PaymentInfo, error) {
	p, err := g.c.Cancel(ctx, reference, transactionOnly, idempotencyKey)
	return paymentInfo(p), gatewayError(err)
}

func (g *vippsGateway) Capture(ctx context.Context, reference string, amount flow.Money, idempotencyKey string) (flow.PaymentInfo, error) {
	cur, err := g.paymentCurrency(ctx, reference)
	if err != nil {
		return flow.PaymentInfo{}, err
	}
	p, err := g.c.Capture(ctx, reference, vipps.Amount{Currency: cur, Value: int64(amount)}, idempotencyKey)
	return paymentInfo(p), gatewayError(err)
}

func (g *vippsGateway) Refund(ctx context.Context, reference string, amount flow.Money, idempotencyKey string) (flow.PaymentInfo, error) {
	cur, err := g.paymentCurrency(ctx, reference)
	if err != nil {
		return flow.PaymentInfo{}, err
	}
	p, err := g.c.Refund(ctx, reference, vipps.Amount{Currency: cur, Value: int64(amount)}, idempotencyKey)
	return paymentInfo(p), gatewayError(err)
}

func (g *vippsGateway) AddReceipt(ctx context.Context, reference string, r flow.Receipt) error {
	return gatewayError(g.c.AddReceipt(ctx, reference, toVippsReceipt(r)))
}

// paymentCurrency is the currency a payment was made in, which capture and
// refund must repeat (Vipps refuses any other with 5040). It is known from
// the create or a read; otherwise — a capture parked across a restart, or
// a sales unit whose currency changed since — Vipps' own record says it.
func (g *vippsGateway) paymentCurrency(ctx context.Context, reference string) (string, error) {
	g.mu.Lock()
	cur := g.currencies[reference]
	g.mu.Unlock()
	if cur != "" {
		return cur, nil
	}
	p, err := g.c.GetPayment(ctx, reference)
	if err != nil {
		return "", gatewayError(err)
	}
	if p.Amount.Currency == "" {
		return "", &flow.GatewayError{Kind: flow.ErrTransient, Message: "vipps: payment " + reference + " has no currency"}
	}
	g.remember(reference, p.Amount.Currency)
	return p.Amount.Currency, nil
}

func (g *vippsGateway) remember(reference, currency string) {
	if reference == "" || currency == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.currencies) >= 4096 { // a long-running till: forget, Vipps can always be asked again
		clear(g.currencies)
	}
	g.currencies[reference] = currency
}

func (g *vippsGateway) currencyOr(c string) string {
	if c != "" {
		return c
	}
	return g.currency
}

func paymentInfo(p vipps.Payment) flow.PaymentInfo {
	return flow.PaymentInfo{
		Reference:  p.Reference,
		State:      p.State,
		Amount:     flow.Money(p.Amount.Value),
		Authorized: flow.Money(p.Aggregate.Authorized.Value),
		Captured:   flow.Money(p.Aggregate.Captured.Value),
		Cancelled:  flow.Money(p.Aggregate.Cancelled.Value),
		Refunded:   flow.Money(p.Aggregate.Refunded.Value),

		CaptureGuaranteedUntil: p.CaptureGuaranteedUntil,
	}
}

// paymentEvent converts a webhook or event-log entry.
func paymentEvent(e vipps.PaymentEvent) flow.PaymentEvent {
	return flow.PaymentEvent{
		Reference: e.Reference, Name: e.Name, Amount: flow.Money(e.Amount.Value),
		PSPReference: e.PSPReference, IdempotencyKey: e.IdempotencyKey, Success: e.Success, At: e.Timestamp,
	}
}

func toVippsReceipt(r flow.Receipt) vipps.Receipt {
	out := vipps.Receipt{BottomLine: vipps.BottomLine{Currency: r.Currency, POSID: r.POSID, ReceiptNumber: r.ReceiptNumber}}
	if ps := r.PaymentSources; ps != nil {
		out.BottomLine.PaymentSources = &vipps.PaymentSources{GiftCard: int64(ps.GiftCard), Card: int64(ps.Card), Voucher: int64(ps.Voucher), Cash: int64(ps.Cash)}
	}
	for _, l := range r.Lines {
		out.OrderLines = append(out.OrderLines, vipps.OrderLine{
			Name: l.Name, ID: l.ID,
			TotalAmount: int64(l.Total), TotalAmountExcludingTax: int64(l.TotalExclTax), TotalTaxAmount: int64(l.Tax),
			TaxRate: l.TaxRate, Discount: int64(l.Discount), IsReturn: l.IsReturn,
			UnitInfo: &vipps.UnitInfo{UnitPrice: int64(l.UnitPrice), Quantity: strconv.Itoa(l.Quantity), QuantityUnit: "PCS"},
		})
	}
	return out
}

// gatewayError turns a vipps error into the flow error the checkout and the
// settlement worker branch on; nil stays nil.
func gatewayError(err error) error {
	if err == nil {
		return nil
	}
	var ve *vipps.Error
	if !errors.As(err, &ve) {
		return &flow.GatewayError{Kind: flow.KindOf(err), Message: err.Error()}
	}
	return &flow.GatewayError{Kind: flowKind(ve.Kind), Status: ve.Status, Code: ve.Code, Message: ve.Error(), RetryAfter: ve.RetryAfter}
}

func flowKind(k vipps.Kind) flow.ErrorKind {
	switch k {
	case vipps.Transient:
		return flow.ErrTransient
	case vipps.RateLimited:
		return flow.ErrRateLimited
	case vipps.Conflict:
		return flow.ErrConflict
	case vipps.Invalid:
		return flow.ErrInvalid
	case vipps.Permanent:
		return flow.ErrPermanent
	case vipps.Unauthorized:
		return flow.ErrUnauthorized
	case vipps.NotFound:
		return flow.ErrNotFound
	case vipps.RetryLater:
		return flow.ErrRetryLater
	}
	return flow.ErrUnknown
}
