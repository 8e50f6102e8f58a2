// Package shop opens a till for the UI's tests and its demo program: the
// real checkout (flow.Checkout) and settlement worker on the in-memory
// store, with the scriptable Vipps of flowtest at the process edge playing
// the customers' phones. Nothing here decides anything about a sale; it
// only sets the scene (a catalogue, customers, a club) and plays what the
// customer does on the phone.
package shop

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/flow/flowtest"
	"github.com/kasse-pos/kasse/flow/inmem"
)

// Customer is someone who can show a personal QR at the till.
type Customer struct {
	QR        string // what their QR carries
	MSISDN    string
	Name      string // as Vipps Login gives it on enrolment
	GivenName string
	Member    bool   // already in the club
	Lang      string // preferred language on file ("" unknown)
	// Consents are the club's marketing consents as they answer them in
	// the app when enrolling.
	Consents []flow.MemberConsent
}

// Options set the scene.
type Options struct {
	POSID, StoreName, Currency string // defaults pos1, Demobutikken, NOK
	Products                   []flow.Product
	Customers                  []Customer
	Clock                      flow.Clock // nil: the wall clock
	// BindingMessage fixes the enrolment code (golden files want the same
	// one every run); nil: random.
	BindingMessage func() string
	Log            *slog.Logger
}

// Shop is a till ready to sell.
type Shop struct {
	Store    *inmem.Store
	Vipps    *flowtest.Vipps
	Checkout *flow.Checkout
	Settler  *flow.Settler
	Clock    flow.Clock

	opt       Options
	customers map[string]Customer // by MSISDN

	mu       sync.Mutex
	onChange []func()
	cancel   func()
}

// Open stocks the shop and resumes its checkout.
func Open(ctx context.Context, opt Options) (*Shop, error) {
	if opt.POSID == "" {
		opt.POSID = "pos1"
	}
	if opt.StoreName == "" {
		opt.StoreName = "Demobutikken"
	}
	if opt.Currency == "" {
		opt.Currency = "NOK"
	}
	if opt.Clock == nil {
		opt.Clock = flow.SystemClock{}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Shop{Store: inmem.New(opt.Clock.Now), Clock: opt.Clock, opt: opt, customers: map[string]Customer{},
		Vipps: &flowtest.Vipps{QR: map[string]string{}, LoginExpiry: opt.Clock.Now().Add(10 * time.Minute)}}
	if err := s.Store.UpsertProducts(ctx, opt.Products); err != nil {
		return nil, err
	}
	for _, c := range opt.Customers {
		s.customers[c.MSISDN] = c
		s.Vipps.QR[c.QR] = c.MSISDN
		if c.Member {
			m := &flow.Member{MSISDN: c.MSISDN, Sub: "sub-" + c.MSISDN, Name: c.Name, GivenName: c.GivenName,
				Lang: c.Lang, ConsentAt: opt.Clock.Now(), Scopes: []string{"openid", "name", "phoneNumber"}}
			if err := s.Store.AddMember(ctx, m); err != nil {
				return nil, err
			}
		}
	}
	s.Settler = flow.NewSettler(s.Store, s.Vipps, opt.Log)
	s.Settler.Now = opt.Clock.Now
	s.Checkout = flow.NewCheckout(flow.Options{POSID: opt.POSID, Currency: opt.Currency, StoreName: opt.StoreName,
		Store: s.Store, Vipps: s.Vipps, Clock: opt.Clock, BindingMessage: opt.BindingMessage, Log: opt.Log, Vouchers: s.Store})
	if err := s.Checkout.Resume(ctx); err != nil {
		return nil, err
	}
	s.cancel = s.Checkout.Subscribe(func(flow.View) { s.changed() })
	return s, nil
}

// Close stops the checkout.
func (s *Shop) Close() {
	s.cancel()
	s.Checkout.Close()
}

// OnChange registers fn for every change of what the phones show.
func (s *Shop) OnChange(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = append(s.onChange, fn)
}

func (s *Shop) changed() {
	s.mu.Lock()
	fns := append([]func(){}, s.onChange...)
	s.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// Push is a request waiting on a customer's phone.
type Push struct {
	ID, Kind       string // Kind: "payment" or "login"
	MSISDN         string // masked, as the demo phone shows whose it is
	Amount         flow.Money
	Currency       string
	BindingMessage string
}

// Pushes lists what the phones show now, consent requests first.
func (s *Shop) Pushes() []Push {
	var out []Push
	for _, l := range s.Vipps.PendingLogins() {
		out = append(out, Push{ID: l.AuthReqID, Kind: "login", MSISDN: flow.MaskMSISDN(l.MSISDN), BindingMessage: l.BindingMessage})
	}
	for _, r := range s.Vipps.PendingPushes() {
		who := r.MSISDN
		if who == "" {
			who = s.Vipps.QR[r.PersonalQR]
		}
		out = append(out, Push{ID: r.Reference, Kind: "payment", MSISDN: flow.MaskMSISDN(who), Amount: r.Amount, Currency: r.Currency})
	}
	return out
}

// Answer is the customer approving or declining a push. Vipps tells the
// till at once, as a webhook does.
func (s *Shop) Answer(ctx context.Context, id string, approve bool) error {
	defer s.changed()
	for _, l := range s.Vipps.PendingLogins() {
		if l.AuthReqID != id {
			continue
		}
		if !approve {
			s.Vipps.AnswerLogin(id, flow.MemberClaims{}, flow.ErrLoginDeclined)
			return nil
		}
		c := s.customers[l.MSISDN]
		s.Vipps.AnswerLogin(id, flow.MemberClaims{Sub: "sub-" + l.MSISDN, Name: c.Name, GivenName: c.GivenName,
			Phone: l.MSISDN, Scopes: l.Scopes, Consents: c.Consents}, nil)
		return nil
	}
	for _, r := range s.Vipps.PendingPushes() {
		if r.Reference != id {
			continue
		}
		if approve {
			s.Vipps.Approve(id)
		} else {
			s.Vipps.Decline(id)
		}
		return s.Notify(ctx, id)
	}
	return fmt.Errorf("no request %q is waiting on a phone", id)
}

// Notify delivers the payment's newest Vipps event to the till, as a
// webhook does (a QR payment the customer approved in the app, say).
func (s *Shop) Notify(ctx context.Context, ref string) error {
	ev, ok := s.Vipps.LastEvent(ref)
	if !ok {
		return fmt.Errorf("no payment %q at Vipps", ref)
	}
	return s.Checkout.HandlePaymentEvent(ctx, ev)
}

// Settle runs the settlement worker until nothing is due, and shows the
// till how far it came.
func (s *Shop) Settle(ctx context.Context) error {
	for {
		n, err := s.Settler.RunOnce(ctx, 10)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	s.Checkout.RefreshSettlement(ctx)
	return nil
}
