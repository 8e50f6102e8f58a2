package flowtest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// Vipps is a scriptable flow.Vipps. The zero value knows no QR codes and
// no payments; set fields (under no lock, before use) or call the helpers.
type Vipps struct {
	mu sync.Mutex

	QR          map[string]string // personal QR → MSISDN
	ExchangeErr error
	// ExchangeGate, when set, holds every QR exchange until it is closed:
	// the customer is still being identified.
	ExchangeGate chan struct{}
	CheckInErr   error
	CheckIns     []CheckIn

	// Errors returned by the next calls, in order; nil entries succeed.
	CreateErrs []error
	GetErrs    []error
	CancelErrs []error
	// Errors for the settlement worker's calls, in order.
	ReceiptErrs, CaptureErrs, RefundErrs []error
	// CreateLost makes failing creates still reach "Vipps" (a timeout
	// after the request arrived).
	CreateLost bool
	// BeforeCancel runs before a cancel is applied: a customer approving
	// at that very moment is BeforeCancel = v.Approve.
	BeforeCancel func(reference string)

	Creates  []flow.PaymentRequest
	Cancels  []string
	Gets     map[string]int
	payments map[string]*payment
	receipts map[string]flow.Receipt

	StartLoginErr error
	Logins        []Login
	answers       map[string]chan loginAnswer
	answered      map[string]bool
	LoginExpiry   time.Time
}

var _ flow.Vipps = (*Vipps)(nil)

// CheckIn is one Check-in call.
type CheckIn struct {
	MSISDN string
	Member bool
}

// Login is one StartLogin call.
type Login struct {
	MSISDN, BindingMessage string
	Scopes                 []string
	AuthReqID              string
}

type loginAnswer struct {
	claims flow.MemberClaims
	err    error
}

type payment struct {
	info   flow.PaymentInfo
	req    flow.PaymentRequest
	events []flow.PaymentEvent
}

func pop(errs *[]error) error {
	if len(*errs) == 0 {
		return nil
	}
	err := (*errs)[0]
	*errs = (*errs)[1:]
	return err
}

func (v *Vipps) ExchangeQR(ctx context.Context, qr string) (string, error) {
	v.mu.Lock()
	gate := v.ExchangeGate
	v.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ExchangeErr != nil {
		return "", v.ExchangeErr
	}
	if m, ok := v.QR[qr]; ok {
		return m, nil
	}
	return "", &flow.GatewayError{Kind: flow.ErrInvalid, Status: 400, Message: "unknown QR"}
}

func (v *Vipps) CheckIn(ctx context.Context, msisdn string, member bool) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.CheckIns = append(v.CheckIns, CheckIn{msisdn, member})
	return v.CheckInErr
}

func (v *Vipps) StartLogin(ctx context.Context, msisdn, binding string, scopes []string) (flow.LoginRequest, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.StartLoginErr != nil {
		return flow.LoginRequest{}, v.StartLoginErr
	}
	id := fmt.Sprintf("auth-%d", len(v.Logins)+1)
	v.Logins = append(v.Logins, Login{msisdn, binding, scopes, id})
	v.answerChan(id)
	return flow.LoginRequest{AuthReqID: id, ExpiresAt: v.LoginExpiry, Interval: 5 * time.Second}, nil
}

func (v *Vipps) answerChan(id string) chan loginAnswer {
	if v.answers == nil {
		v.answers = map[string]chan loginAnswer{}
	}
	ch := v.answers[id]
	if ch == nil {
		ch = make(chan loginAnswer, 1)
		v.answers[id] = ch
	}
	return ch
}

// FinishLogin waits for AnswerLogin (or ctx).
func (v *Vipps) FinishLogin(ctx context.Context, req flow.LoginRequest) (flow.MemberClaims, error) {
	v.mu.Lock()
	ch := v.answerChan(req.AuthReqID)
	v.mu.Unlock()
	select {
	case a := <-ch:
		return a.claims, a.err
	case <-ctx.Done():
		return flow.MemberClaims{}, ctx.Err()
	}
}

// AnswerLogin is the customer's answer on the phone to login id.
func (v *Vipps) AnswerLogin(id string, claims flow.MemberClaims, err error) {
	v.mu.Lock()
	ch := v.answerChan(id)
	if v.answered == nil {
		v.answered = map[string]bool{}
	}
	v.answered[id] = true
	v.mu.Unlock()
	ch <- loginAnswer{claims, err}
}

// LoginCalls returns the StartLogin calls so far.
func (v *Vipps) LoginCalls() []Login {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Login(nil), v.Logins...)
}

func (v *Vipps) CreatePayment(ctx context.Context, req flow.PaymentRequest) (flow.CreatedPayment, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.Creates = append(v.Creates, req)
	if err := pop(&v.CreateErrs); err != nil {
		if v.CreateLost {
			v.create(req)
		}
		return flow.CreatedPayment{}, err
	}
	if p, ok := v.payments[req.Reference]; ok {
		if p.req.IdempotencyKey != req.IdempotencyKey {
			return flow.CreatedPayment{}, &flow.GatewayError{Kind: flow.ErrConflict, Status: 409, Code: "4150", Message: "reference already used"}
		}
		if !reflect.DeepEqual(p.req, req) {
			// As Vipps: the same key with another body is refused.
			return flow.CreatedPayment{}, &flow.GatewayError{Kind: flow.ErrConflict, Status: 409, Code: "4020", Message: "idempotency key used with another request"}
		}
	} else {
		v.create(req)
	}
	out := flow.CreatedPayment{Reference: req.Reference}
	if req.ByQR {
		out.QR = "https://qr.example/" + req.Reference
	}
	return out, nil
}

func (v *Vipps) create(req flow.PaymentRequest) {
	if v.payments == nil {
		v.payments = map[string]*payment{}
	}
	if _, ok := v.payments[req.Reference]; ok {
		return
	}
	p := &payment{req: req, info: flow.PaymentInfo{Reference: req.Reference, State: flow.VippsCreated, Amount: req.Amount}}
	p.event(flow.VippsCreated, req.Amount, req.IdempotencyKey)
	v.payments[req.Reference] = p
}

func (p *payment) event(name string, amount flow.Money, key string) {
	p.events = append(p.events, flow.PaymentEvent{Reference: p.info.Reference, Name: name, Amount: amount,
		PSPReference: fmt.Sprintf("psp-%d", len(p.events)+1), IdempotencyKey: key, Success: true,
		At: time.Date(2026, 1, 1, 0, 0, len(p.events), 0, time.UTC)})
}

func (v *Vipps) GetPayment(ctx context.Context, ref string) (flow.PaymentInfo, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.Gets == nil {
		v.Gets = map[string]int{}
	}
	v.Gets[ref]++
	if err := pop(&v.GetErrs); err != nil {
		return flow.PaymentInfo{}, err
	}
	p, ok := v.payments[ref]
	if !ok {
		return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrNotFound, Status: 404, Code: "5090", Message: "reference not found"}
	}
	return p.info, nil
}

func (v *Vipps) PaymentEvents(ctx context.Context, ref string) ([]flow.PaymentEvent, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.payments[ref]
	if !ok {
		return nil, &flow.GatewayError{Kind: flow.ErrNotFound, Status: 404}
	}
	return append([]flow.PaymentEvent(nil), p.events...), nil
}

func (v *Vipps) CancelPayment(ctx context.Context, ref string, transactionOnly bool, key string) (flow.PaymentInfo, error) {
	if v.BeforeCancel != nil {
		v.BeforeCancel(ref)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.Cancels = append(v.Cancels, ref)
	if err := pop(&v.CancelErrs); err != nil {
		return flow.PaymentInfo{}, err
	}
	p, ok := v.payments[ref]
	if !ok {
		return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrNotFound, Status: 404, Code: "5090"}
	}
	switch p.info.State {
	case flow.VippsCreated:
		p.info.State, p.info.Cancelled = flow.VippsTerminated, p.info.Amount
		p.event(flow.VippsTerminated, p.info.Amount, "")
		return p.info, nil
	case flow.VippsAuthorized:
		if transactionOnly {
			return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "6060", Message: "Cannot cancel authorized payment"}
		}
		if p.info.Captured == 0 {
			p.info.Cancelled = p.info.Authorized
			p.event("CANCELLED", p.info.Authorized, "")
			return p.info, nil
		}
	}
	return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "6050", Message: "Cannot cancel"}
}

// Capture takes amount of an authorized payment, once per key.
func (v *Vipps) Capture(ctx context.Context, ref string, amount flow.Money, key string) (flow.PaymentInfo, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := pop(&v.CaptureErrs); err != nil {
		return flow.PaymentInfo{}, err
	}
	p, ok := v.payments[ref]
	if !ok {
		return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrNotFound, Status: 404, Code: "5090"}
	}
	if p.done("CAPTURED", key) {
		return p.info, nil
	}
	if p.info.State != flow.VippsAuthorized || amount > p.info.Authorized-p.info.Captured-p.info.Cancelled {
		return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "6000", Message: "Cannot capture"}
	}
	p.info.Captured += amount
	p.event("CAPTURED", amount, key)
	return p.info, nil
}

// Refund gives back amount of what was captured, once per key.
func (v *Vipps) Refund(ctx context.Context, ref string, amount flow.Money, key string) (flow.PaymentInfo, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := pop(&v.RefundErrs); err != nil {
		return flow.PaymentInfo{}, err
	}
	p, ok := v.payments[ref]
	if !ok {
		return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrNotFound, Status: 404, Code: "5090"}
	}
	if p.done("REFUNDED", key) {
		return p.info, nil
	}
	if amount > p.info.Captured-p.info.Refunded {
		return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "6100", Message: "Cannot refund more than captured"}
	}
	p.info.Refunded += amount
	p.event("REFUNDED", amount, key)
	return p.info, nil
}

func (p *payment) done(name, key string) bool {
	for _, e := range p.events {
		if e.Name == name && e.IdempotencyKey == key {
			return true
		}
	}
	return false
}

// AddReceipt attaches a receipt to a payment; receipts are write-once.
func (v *Vipps) AddReceipt(ctx context.Context, ref string, r flow.Receipt) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := pop(&v.ReceiptErrs); err != nil {
		return err
	}
	if _, ok := v.payments[ref]; !ok {
		return &flow.GatewayError{Kind: flow.ErrNotFound, Status: 404}
	}
	if _, ok := v.receipts[ref]; ok {
		return &flow.GatewayError{Kind: flow.ErrConflict, Status: 409, Message: "receipt already attached"}
	}
	if v.receipts == nil {
		v.receipts = map[string]flow.Receipt{}
	}
	v.receipts[ref] = r
	return nil
}

// Receipt returns the receipt attached to a payment.
func (v *Vipps) Receipt(ref string) (flow.Receipt, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r, ok := v.receipts[ref]
	return r, ok
}

// Approve, Decline and Expire are what the customer (or time) does to a
// payment request.
func (v *Vipps) Approve(ref string) { v.setState(ref, flow.VippsAuthorized) }
func (v *Vipps) Decline(ref string) { v.setState(ref, flow.VippsAborted) }
func (v *Vipps) Expire(ref string)  { v.setState(ref, flow.VippsExpired) }

func (v *Vipps) setState(ref, state string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.payments[ref]
	if !ok || p.info.State != flow.VippsCreated {
		return
	}
	p.info.State = state
	if state == flow.VippsAuthorized {
		p.info.Authorized = p.info.Amount
	}
	p.event(state, p.info.Amount, "")
}

// PendingLogins are the consent requests waiting for the customer's answer.
func (v *Vipps) PendingLogins() []Login {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []Login
	for _, l := range v.Logins {
		if !v.answered[l.AuthReqID] {
			out = append(out, l)
		}
	}
	return out
}

// PendingPushes are the push payment requests on customers' phones, oldest
// first.
func (v *Vipps) PendingPushes() []flow.PaymentRequest {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []flow.PaymentRequest
	for _, r := range v.Creates {
		if p, ok := v.payments[r.Reference]; ok && !r.ByQR && p.info.State == flow.VippsCreated && p.req.IdempotencyKey == r.IdempotencyKey &&
			!containsRef(out, r.Reference) {
			out = append(out, p.req)
		}
	}
	return out
}

func containsRef(rs []flow.PaymentRequest, ref string) bool {
	for _, r := range rs {
		if r.Reference == ref {
			return true
		}
	}
	return false
}

// LastEvent is the newest event of a payment, as a webhook would bring it.
func (v *Vipps) LastEvent(ref string) (flow.PaymentEvent, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.payments[ref]
	if !ok || len(p.events) == 0 {
		return flow.PaymentEvent{}, false
	}
	return p.events[len(p.events)-1], true
}

// Requests returns the payment requests created so far.
func (v *Vipps) Requests() []flow.PaymentRequest {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]flow.PaymentRequest(nil), v.Creates...)
}

// GetCount returns how often a reference was read.
func (v *Vipps) GetCount(ref string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.Gets[ref]
}

// CancelCalls returns the references cancel was called for.
func (v *Vipps) CancelCalls() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.Cancels...)
}

// CheckInCalls returns the Check-in calls so far.
func (v *Vipps) CheckInCalls() []CheckIn {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]CheckIn(nil), v.CheckIns...)
}

// State returns the payment's Vipps state ("" when unknown).
func (v *Vipps) State(ref string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if p, ok := v.payments[ref]; ok {
		return p.info.State
	}
	return ""
}

// SetSettlementErrs replaces the queued errors of receipts and captures
// under the lock (for use mid-test).
func (v *Vipps) SetSettlementErrs(receipt, capture []error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.ReceiptErrs, v.CaptureErrs = receipt, capture
}

// SetErrs replaces queued errors under the lock (for use mid-test).
func (v *Vipps) SetErrs(create, get, cancel []error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.CreateErrs, v.GetErrs, v.CancelErrs = create, get, cancel
}
