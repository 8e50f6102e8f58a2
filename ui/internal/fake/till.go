// Package fake is an in-memory flow.Till for the UI's tests and its demo
// program. It follows the checkout's stages closely enough to drive every
// screen, and lets the test play the customer's phone and the settlement
// worker. It is not the checkout: no Vipps, no database, no VAT rounding
// rules beyond what the screens need.
package fake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// Customer is someone who can show a personal QR at the till.
type Customer struct {
	QR        string // the code their QR carries
	MSISDN    string
	FirstName string
	Member    bool
	Lang      string
}

// Till is the fake checkout. All methods are safe for concurrent use.
type Till struct {
	Now func() time.Time

	mu        sync.Mutex
	catalog   map[string]flow.Product
	customers map[string]Customer
	v         flow.View
	msisdn    string
	seq       int64
	subs      map[int]func(flow.View)
	nextSub   int
	sales     []flow.SaleSummary
	parked    []flow.ParkedJob
	nextSale  int64

	// Calls records every intent by name, for tests to assert on.
	Calls []string
}

// New makes a fake till selling products to customers.
func New(now func() time.Time, products []flow.Product, customers []Customer) *Till {
	t := &Till{Now: now, catalog: map[string]flow.Product{}, customers: map[string]Customer{}, subs: map[int]func(flow.View){}, nextSale: 1}
	for _, p := range products {
		t.catalog[p.GTIN] = p
	}
	for _, c := range customers {
		t.customers[c.QR] = c
	}
	t.v = flow.View{Stage: flow.StageIdle, Currency: "NOK", SaleID: 1}
	return t
}

// View returns the current snapshot.
func (t *Till) View() flow.View {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.v
}

// Subscribe calls fn with every new view.
func (t *Till) Subscribe(fn func(flow.View)) func() {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.nextSub
	t.nextSub++
	t.subs[id] = fn
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.subs, id)
	}
}

// change applies f to a copy of the view and publishes it, outside the lock
// so that subscribers may call back into the till.
func (t *Till) change(call string, f func(v *flow.View) error) error {
	t.mu.Lock()
	t.Calls = append(t.Calls, call)
	v := t.v
	v.Lines = slices.Clone(v.Lines)
	err := f(&v)
	if err == nil {
		t.recount(&v)
		t.v = v
	}
	subs := make([]func(flow.View), 0, len(t.subs))
	for _, id := range t.sortedSubs() {
		subs = append(subs, t.subs[id])
	}
	out := t.v
	t.mu.Unlock()
	for _, fn := range subs {
		fn(out)
	}
	return err
}

func (t *Till) sortedSubs() []int {
	ids := make([]int, 0, len(t.subs))
	for id := range t.subs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// tell adds a notice to the view being changed.
func (t *Till) tell(v *flow.View, kind flow.NoticeKind, key, text string, args map[string]string) {
	t.seq++
	v.Notice = &flow.Notice{Seq: t.seq, Kind: kind, Key: key, Text: text, Args: args}
}

// refuse leaves the sale as it was but for a notice, as flow does when it
// turns an intent down.
func (t *Till) refuse(v *flow.View, kind flow.NoticeKind, key, text string, args map[string]string) error {
	t.tell(v, kind, key, text, args)
	t.v.Notice = v.Notice
	return errors.New(text)
}

func (t *Till) recount(v *flow.View) {
	v.Total = 0
	byRate := map[int]flow.Money{}
	for i := range v.Lines {
		l := &v.Lines[i]
		l.Total = l.UnitPrice*flow.Money(l.Quantity) - l.Discount
		v.Total += l.Total
		byRate[l.VATRate] += l.Total
	}
	v.VAT = nil
	for rate, gross := range byRate {
		net := gross * 100 / flow.Money(100+rate)
		v.VAT = append(v.VAT, flow.VATLine{Rate: rate, Gross: gross, Net: net, VAT: gross - net})
	}
	slices.SortFunc(v.VAT, func(a, b flow.VATLine) int { return a.Rate - b.Rate })
}

func (t *Till) open(v *flow.View) error {
	switch v.Stage {
	case flow.StagePaying:
		return t.refuse(v, flow.NoticeWarning, "scan.payment_sent", "The sale is locked while a payment is out", nil)
	case flow.StageIdle:
		v.Stage = flow.StageOpen
	}
	return nil
}

// Scan handles a product code or a customer QR.
func (t *Till) Scan(ctx context.Context, s flow.Scan) error {
	if s.Kind == flow.ScanProduct {
		return t.AddProduct(ctx, s.Code, 1)
	}
	return t.change("Scan", func(v *flow.View) error {
		if err := t.open(v); err != nil {
			return err
		}
		c, ok := t.customers[s.Code]
		if !ok {
			return t.refuse(v, flow.NoticeError, "scan.unknown_code", "That code is not an item or a customer QR", nil)
		}
		t.msisdn = c.MSISDN
		v.Customer = &flow.CustomerView{MaskedPhone: Mask(c.MSISDN), FirstName: c.FirstName, Member: c.Member, Lang: c.Lang}
		if !c.Member {
			v.Customer.FirstName = ""
		}
		return nil
	})
}

// Mask hides all but the last three digits of a phone number.
func Mask(msisdn string) string {
	if len(msisdn) < 5 {
		return "•••"
	}
	return "+" + msisdn[:2] + " ••• •• " + msisdn[len(msisdn)-3:]
}

// AddProduct adds qty of a catalogue product, merging with its line.
func (t *Till) AddProduct(_ context.Context, gtin string, qty int) error {
	return t.change("AddProduct "+gtin, func(v *flow.View) error {
		if err := t.open(v); err != nil {
			return err
		}
		p, ok := t.catalog[gtin]
		if !ok {
			return t.refuse(v, flow.NoticeError, "scan.unknown_product", "Unknown product "+gtin, map[string]string{"gtin": gtin})
		}
		for i := range v.Lines {
			if v.Lines[i].GTIN == gtin {
				v.Lines[i].Quantity += qty
				return nil
			}
		}
		v.Lines = append(v.Lines, flow.LineView{GTIN: gtin, Name: p.Name, Quantity: qty, UnitPrice: p.Price, VATRate: p.VATRate})
		return nil
	})
}

// SetQuantity changes a line; 0 removes it.
func (t *Till) SetQuantity(_ context.Context, line, qty int) error {
	return t.change(fmt.Sprintf("SetQuantity %d %d", line, qty), func(v *flow.View) error {
		if v.Stage != flow.StageOpen || line < 0 || line >= len(v.Lines) {
			return errors.New("no such line")
		}
		if qty <= 0 {
			v.Lines = slices.Delete(v.Lines, line, line+1)
		} else {
			v.Lines[line].Quantity = qty
		}
		return nil
	})
}

// SearchProducts finds products by name or GTIN prefix, sorted by name.
func (t *Till) SearchProducts(_ context.Context, q string, limit int) ([]flow.Product, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []flow.Product
	q = strings.ToLower(q)
	for _, p := range t.catalog {
		if strings.Contains(strings.ToLower(p.Name), q) || strings.HasPrefix(p.GTIN, q) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b flow.Product) int { return strings.Compare(a.Name, b.Name) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Enrol starts the club enrolment with a binding message.
func (t *Till) Enrol(context.Context) error {
	return t.change("Enrol", func(v *flow.View) error {
		if v.Customer == nil || v.Customer.Member {
			return errors.New("no non-member identified")
		}
		v.Enrolment = &flow.EnrolmentView{Status: flow.EnrolmentPending, BindingMessage: "KX7-42Q", ExpiresAt: t.Now().Add(5 * time.Minute)}
		return nil
	})
}

// RequestPayment sends a push to the identified customer.
func (t *Till) RequestPayment(context.Context) error {
	return t.change("RequestPayment", func(v *flow.View) error {
		if v.Customer == nil || len(v.Lines) == 0 || v.Stage != flow.StageOpen {
			return errors.New("cannot request payment now")
		}
		v.Stage = flow.StagePaying
		v.Payment = &flow.PaymentView{Status: flow.PaymentWaiting, Reference: fmt.Sprintf("kasse-%d", v.SaleID), Amount: v.Total, ExpiresAt: t.Now().Add(5 * time.Minute), Push: true}
		return nil
	})
}

// PayByQR shows a payment QR on the customer display instead.
func (t *Till) PayByQR(context.Context) error {
	return t.change("PayByQR", func(v *flow.View) error {
		if len(v.Lines) == 0 || (v.Stage != flow.StageOpen && v.Stage != flow.StagePaying) {
			return errors.New("cannot pay by QR now")
		}
		v.Stage = flow.StagePaying
		v.Payment = &flow.PaymentView{Status: flow.PaymentWaiting, Reference: fmt.Sprintf("kasse-%d-qr", v.SaleID), Amount: v.Total,
			ExpiresAt: t.Now().Add(5 * time.Minute), QR: "https://qr.vipps.no/p/kasse-" + fmt.Sprint(v.SaleID)}
		return nil
	})
}

// CancelPayment cancels the outstanding request.
func (t *Till) CancelPayment(context.Context) error {
	return t.finish("CancelPayment", flow.PaymentCancelled)
}

// Approve plays the customer approving on the phone.
func (t *Till) Approve() error { return t.finish("phone: approve", flow.PaymentAuthorized) }

// Decline plays the customer declining on the phone.
func (t *Till) Decline() error { return t.finish("phone: decline", flow.PaymentDeclined) }

// Expire plays the request timing out.
func (t *Till) Expire() error { return t.finish("expire", flow.PaymentExpired) }

func (t *Till) finish(call string, st flow.PaymentStatus) error {
	return t.change(call, func(v *flow.View) error {
		if v.Payment == nil || v.Payment.Status != flow.PaymentWaiting {
			return errors.New("no payment is waiting")
		}
		p := *v.Payment
		p.Status = st
		v.Payment = &p
		if st != flow.PaymentAuthorized {
			v.Stage = flow.StageOpen
			t.tell(v, flow.NoticeWarning, "payment."+string(st), "Payment "+string(st), nil)
			return nil
		}
		v.Stage = flow.StagePaid
		v.ReceiptNumber = fmt.Sprintf("%d", 1000+v.SaleID)
		v.Settlement = flow.SettlementQueued
		t.sales = append([]flow.SaleSummary{{SaleID: v.SaleID, ReceiptNumber: v.ReceiptNumber, At: t.Now(), Total: v.Total,
			Member: v.Customer != nil && v.Customer.Member, Payment: st, Settlement: v.Settlement}}, t.sales...)
		return nil
	})
}

// AnswerEnrolment plays the customer consenting (or not) on the phone.
func (t *Till) AnswerEnrolment(ok bool) error {
	return t.change("phone: enrol", func(v *flow.View) error {
		if v.Enrolment == nil || v.Enrolment.Status != flow.EnrolmentPending {
			return errors.New("no enrolment is pending")
		}
		e := *v.Enrolment
		if !ok {
			e.Status = flow.EnrolmentDeclined
			v.Enrolment = &e
			return nil
		}
		e.Status = flow.EnrolmentDone
		v.Enrolment = &e
		c := t.customers[t.qrOf(t.msisdn)]
		c.Member = true
		t.customers[c.QR] = c
		v.Customer = &flow.CustomerView{MaskedPhone: Mask(c.MSISDN), FirstName: c.FirstName, Member: true, Lang: c.Lang}
		return nil
	})
}

func (t *Till) qrOf(msisdn string) string {
	for qr, c := range t.customers {
		if c.MSISDN == msisdn {
			return qr
		}
	}
	return ""
}

// Settle plays the settlement worker reaching a status for the last sale.
func (t *Till) Settle(s flow.SettlementStatus) error {
	return t.change("settle", func(v *flow.View) error {
		v.Settlement = s
		if len(t.sales) > 0 {
			t.sales[0].Settlement = s
		}
		if s == flow.SettlementParked {
			v.Parked++
			t.parked = append(t.parked, flow.ParkedJob{ID: int64(len(t.parked) + 1), SaleID: v.SaleID, ReceiptNumber: v.ReceiptNumber,
				Reference: v.Payment.Reference, Job: "capture", Error: "Vipps said: payment not found", Since: t.Now()})
		}
		return nil
	})
}

// VoidSale abandons the open sale.
func (t *Till) VoidSale(context.Context) error {
	return t.change("VoidSale", func(v *flow.View) error {
		if v.Stage == flow.StagePaying {
			return errors.New("paying")
		}
		t.reset(v)
		return nil
	})
}

// NewSale starts the next sale.
func (t *Till) NewSale(context.Context) error {
	return t.change("NewSale", func(v *flow.View) error {
		t.reset(v)
		return nil
	})
}

func (t *Till) reset(v *flow.View) {
	t.nextSale++
	t.msisdn = ""
	*v = flow.View{Stage: flow.StageIdle, Currency: v.Currency, SaleID: t.nextSale, Parked: v.Parked, Notice: v.Notice}
}

// RecentSales lists finished sales, newest first.
func (t *Till) RecentSales(_ context.Context, n int) ([]flow.SaleSummary, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.sales[:min(n, len(t.sales))]), nil
}

// ParkedJobs lists the jobs waiting for a manager.
func (t *Till) ParkedJobs(context.Context) ([]flow.ParkedJob, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.parked), nil
}

// RetryParked puts a parked job back in the queue.
func (t *Till) RetryParked(_ context.Context, id int64) error {
	return t.change(fmt.Sprintf("RetryParked %d", id), func(v *flow.View) error {
		t.parked = slices.DeleteFunc(t.parked, func(j flow.ParkedJob) bool { return j.ID == id })
		v.Parked = len(t.parked)
		return nil
	})
}

// Refund records a refund of a whole sale.
func (t *Till) Refund(_ context.Context, saleID int64, _ map[int]int) error {
	return t.change(fmt.Sprintf("Refund %d", saleID), func(v *flow.View) error {
		for i := range t.sales {
			if t.sales[i].SaleID == saleID {
				t.sales[i].Refunded = t.sales[i].Total
				t.sales[i].Settlement = flow.SettlementRefunded
				return nil
			}
		}
		return errors.New("no such sale")
	})
}

// Reprint records a reprint.
func (t *Till) Reprint(_ context.Context, saleID int64) error {
	return t.change(fmt.Sprintf("Reprint %d", saleID), func(*flow.View) error { return nil })
}

// Push is a request pending on the customer's phone, as the demo shows it.
type Push struct {
	ID, Kind, MSISDN, BindingMessage string
	Amount                           flow.Money
	Currency                         string
}

// Pushes lists what the identified customer's phone shows now.
func (t *Till) Pushes() []Push {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Push
	if e := t.v.Enrolment; e != nil && e.Status == flow.EnrolmentPending {
		out = append(out, Push{ID: "login", Kind: "login", MSISDN: t.msisdn, BindingMessage: e.BindingMessage})
	}
	if p := t.v.Payment; p != nil && p.Status == flow.PaymentWaiting && p.Push {
		out = append(out, Push{ID: "payment", Kind: "payment", MSISDN: t.msisdn, Amount: p.Amount, Currency: t.v.Currency})
	}
	return out
}

// Answer answers a push from Pushes.
func (t *Till) Answer(id string, approve bool) error {
	if id == "login" {
		return t.AnswerEnrolment(approve)
	}
	if approve {
		return t.Approve()
	}
	return t.Decline()
}

var _ flow.Till = (*Till)(nil)
