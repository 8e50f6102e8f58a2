package flow_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

var referencePattern = regexp.MustCompile(`^[a-zA-Z0-9-]{8,64}$`)

func TestMemberSaleFromQRToSettlementJobs(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		v := r.customer(qrKari)
		if !v.Customer.Member || v.Customer.FirstName != "Kari" || v.Customer.MaskedPhone != "+47 ••• •• 567" {
			t.Fatalf("customer = %+v, want member Kari with a masked phone", v.Customer)
		}
		r.waitFor("checked in", func(v flow.View) bool { return v.Customer != nil && v.Customer.CheckedIn })
		if got := r.vipps.CheckInCalls(); len(got) != 1 || got[0] != (struct {
			MSISDN string
			Member bool
		}{kari, true}) {
			t.Errorf("check-ins = %+v, want one for Kari as member", got)
		}
		r.product(melk)
		r.product(melk)
		r.product(batteri)
		v = r.paying()
		if v.Stage != flow.StagePaying || v.Payment.Amount != 2*2590+8900 || !v.Payment.Push {
			t.Fatalf("payment = %+v", v.Payment)
		}
		if want := t0.Add(10 * time.Minute); !v.Payment.ExpiresAt.Equal(want) {
			t.Errorf("countdown ends %v, want %v", v.Payment.ExpiresAt, want)
		}
		req := r.vipps.Requests()[0]
		if req.MSISDN != kari || req.Reference != "pos1-000001" || !referencePattern.MatchString(req.Reference) ||
			req.IdempotencyKey == "" || len(req.IdempotencyKey) > 50 || req.Amount != 14080 || req.Currency != "NOK" {
			t.Errorf("payment request = %+v", req)
		}

		r.vipps.Approve(req.Reference)
		r.clock.Advance(time.Second) // the first poll comes within a second
		v = r.status(flow.PaymentAuthorized)
		if v.Stage != flow.StagePaid || v.Settlement != flow.SettlementQueued {
			t.Errorf("after approval: stage %s, settlement %q", v.Stage, v.Settlement)
		}
		jobs := r.jobs(v.SaleID)
		if len(jobs) != 3 {
			t.Fatalf("settlement jobs = %+v, want receipt, capture, confirm", jobs)
		}
		for i, want := range []struct {
			kind   string
			amount flow.Money
		}{{flow.JobReceipt, 0}, {flow.JobCapture, 14080}, {flow.JobConfirm, 14080}} {
			j := jobs[i].Job()
			if j.Kind != want.kind || j.Amount != want.amount || j.State != flow.JobQueued ||
				j.Reference != req.Reference || j.IdempotencyKey != req.Reference+"-"+want.kind {
				t.Errorf("job %d = %+v, want %s of %d", i, j, want.kind, want.amount)
			}
		}
		var steps []string
		for _, e := range r.journal(v.SaleID) {
			steps = append(steps, e.From+"→"+e.To)
		}
		want := []string{"idle→open", "open→open" /* QR scanned */, "open→open" /* identified */, "open→paying/requesting", "paying/requesting→paying/waiting", "paying/waiting→paid/authorized"}
		if len(steps) != len(want) {
			t.Fatalf("journal = %q, want %q", steps, want)
		}
		for i := range want {
			if steps[i] != want[i] {
				t.Errorf("journal[%d] = %q, want %q", i, steps[i], want[i])
			}
		}
		r.must(r.till.NewSale(r.ctx))
		if v := r.till.View(); v.Stage != flow.StageIdle || v.Settlement != flow.SettlementQueued {
			t.Errorf("after NewSale: %+v", v)
		}
	})
}

// Every way a payment request can end, through polling and through
// webhooks: the same transition function decides.
func TestPaymentOutcomes(t *testing.T) {
	cases := []struct {
		name     string
		customer func(v interface{ Decline(string) }, ref string)
		act      func(r *rig, ref string)
		want     flow.PaymentStatus
		stage    flow.Stage
		notice   string
	}{
		{name: "approved", act: func(r *rig, ref string) { r.vipps.Approve(ref) }, want: flow.PaymentAuthorized, stage: flow.StagePaid, notice: "payment.approved"},
		{name: "declined", act: func(r *rig, ref string) { r.vipps.Decline(ref) }, want: flow.PaymentDeclined, stage: flow.StageOpen, notice: "payment.declined"},
		{name: "expired", act: func(r *rig, ref string) { r.vipps.Expire(ref) }, want: flow.PaymentExpired, stage: flow.StageOpen, notice: "payment.expired"},
	}
	for _, via := range []string{"poll", "webhook"} {
		for _, tc := range cases {
			t.Run(via+"/"+tc.name, func(t *testing.T) {
				each(t, func(t *testing.T, r *rig) {
					r.customer(qrOla)
					r.product(brod)
					ref := r.paying().Payment.Reference
					tc.act(r, ref)
					if via == "poll" {
						r.clock.Advance(time.Second)
					} else {
						name := map[flow.PaymentStatus]string{flow.PaymentAuthorized: flow.VippsAuthorized,
							flow.PaymentDeclined: flow.VippsAborted, flow.PaymentExpired: flow.VippsExpired}[tc.want]
						r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: name, Amount: 3990, PSPReference: "w1", Success: true, At: t0}))
					}
					v := r.status(tc.want)
					if v.Stage != tc.stage || v.Notice == nil || v.Notice.Key != tc.notice {
						t.Errorf("stage %s notice %+v, want %s and %s", v.Stage, v.Notice, tc.stage, tc.notice)
					}
					if n := len(r.jobs(v.SaleID)); (tc.want == flow.PaymentAuthorized) != (n == 3) {
						t.Errorf("%d settlement jobs after %s", n, tc.want)
					}
					if tc.want != flow.PaymentAuthorized {
						// A new request gets a new reference: the old one is final at Vipps.
						v = r.paying()
						if v.Payment.Reference != ref+"-2" || !referencePattern.MatchString(v.Payment.Reference) {
							t.Errorf("second attempt reference %q, want %q", v.Payment.Reference, ref+"-2")
						}
					}
				})
			})
		}
	}
}

func TestDuplicateAndLateEventsAreHarmless(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrKari)
		r.product(avis)
		ref := r.paying().Payment.Reference
		r.vipps.Approve(ref)
		ev := func(name, psp string) flow.PaymentEvent {
			return flow.PaymentEvent{Reference: ref, Name: name, Amount: 4500, PSPReference: psp, Success: true, At: t0}
		}
		r.must(r.till.HandlePaymentEvent(r.ctx, ev(flow.VippsAuthorized, "p2")))
		v := r.status(flow.PaymentAuthorized)
		// The same webhook again, a late CREATED, a poll that also sees
		// AUTHORIZED and a failed ABORTED must not move the sale.
		r.must(r.till.HandlePaymentEvent(r.ctx, ev(flow.VippsAuthorized, "p2")))
		r.must(r.till.HandlePaymentEvent(r.ctx, ev(flow.VippsCreated, "p1")))
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsAborted, PSPReference: "p3", Success: false, At: t0}))
		r.clock.Advance(5 * time.Second)
		if got := r.till.View(); got.Stage != flow.StagePaid || got.Payment.Status != flow.PaymentAuthorized {
			t.Fatalf("after duplicates: %s/%s", got.Stage, got.Payment.Status)
		}
		if n := len(r.jobs(v.SaleID)); n != 3 {
			t.Errorf("%d settlement jobs, want 3 (no second capture)", n)
		}
		evs, err := r.db.PaymentEvents(r.ctx, ref)
		r.must(err)
		names := map[string]int{}
		for _, e := range evs {
			names[e.Name]++
		}
		if names[flow.VippsAuthorized] < 1 || names[flow.VippsCreated] < 1 || names[flow.VippsAborted] != 1 {
			t.Errorf("kept events %v: every distinct event must be kept", names)
		}
		var authorized int
		for _, e := range r.journal(v.SaleID) {
			if e.To == "paid/authorized" {
				authorized++
			}
		}
		if authorized != 1 {
			t.Errorf("authorization journaled %d times", authorized)
		}
	})
}

func TestCancelPayment(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(r *rig)
		want   flow.PaymentStatus
		stage  flow.Stage
		notice string
	}{
		{name: "before approval", want: flow.PaymentCancelled, stage: flow.StageOpen, notice: "payment.cancelled"},
		{name: "customer approves at the same moment", setup: func(r *rig) { r.vipps.BeforeCancel = r.vipps.Approve },
			want: flow.PaymentAuthorized, stage: flow.StagePaid, notice: "payment.approved"},
		{name: "customer is mid-approval (6250)", setup: func(r *rig) {
			r.vipps.SetErrs(nil, nil, []error{&flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "6250"}})
		}, want: flow.PaymentWaiting, stage: flow.StagePaying, notice: "payment.cancel_failed"},
		{name: "no answer from Vipps", setup: func(r *rig) {
			r.vipps.SetErrs(nil, []error{&flow.GatewayError{Kind: flow.ErrTransient}}, []error{&flow.GatewayError{Kind: flow.ErrTransient}})
		}, want: flow.PaymentWaiting, stage: flow.StagePaying, notice: "payment.cancel_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			each(t, func(t *testing.T, r *rig) {
				r.customer(qrOla)
				r.product(melk)
				ref := r.paying().Payment.Reference
				if tc.setup != nil {
					tc.setup(r)
				}
				r.must(r.till.CancelPayment(r.ctx))
				v := r.waitFor("cancel answered", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == tc.notice })
				if v.Payment.Status != tc.want || v.Stage != tc.stage {
					t.Errorf("after cancel: %s/%s, want %s/%s", v.Stage, v.Payment.Status, tc.stage, tc.want)
				}
				if c := r.vipps.CancelCalls(); len(c) != 1 || c[0] != ref {
					t.Errorf("cancel calls %v", c)
				}
				if tc.want == flow.PaymentAuthorized && len(r.jobs(v.SaleID)) != 3 {
					t.Errorf("an approval that beat the cancel must be settled")
				}
				if tc.want == flow.PaymentWaiting {
					// Polling goes on: the customer's answer still arrives.
					r.vipps.Approve(ref)
					r.clock.Advance(3 * time.Second)
					r.status(flow.PaymentAuthorized)
				}
			})
		})
	}
}

func TestNothingChangesOnceAPaymentIsSent(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrKari)
		r.product(melk)
		r.paying()
		for name, try := range map[string]func() error{
			"product":        func() error { return r.scan(flow.ScanProduct, brod) },
			"customer QR":    func() error { return r.scan(flow.ScanCustomerQR, qrOla) },
			"quantity":       func() error { return r.till.SetQuantity(r.ctx, 0, 5) },
			"void":           func() error { return r.till.VoidSale(r.ctx) },
			"second payment": func() error { return r.till.RequestPayment(r.ctx) },
			"new sale":       func() error { return r.till.NewSale(r.ctx) },
		} {
			err := try()
			var ne *flow.NoticedError
			if !errors.As(err, &ne) {
				t.Errorf("%s while paying: err = %v, want a notice", name, err)
			}
		}
		v := r.till.View()
		if len(v.Lines) != 1 || v.Lines[0].Quantity != 1 || v.Customer.MaskedPhone != "+47 ••• •• 567" || v.Stage != flow.StagePaying {
			t.Errorf("the sale changed while paying: %+v", v)
		}
		if v.Notice == nil || v.Notice.Kind == "" || v.Notice.Text == "" {
			t.Errorf("no clear notice: %+v", v.Notice)
		}
	})
}

func TestNewCustomerQRReplacesTheCustomer(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.product(melk) // wares first, QR later: both orders work
		r.customer(qrOla)
		r.must(r.till.Enrol(r.ctx))
		r.waitFor("enrolment pending", func(v flow.View) bool { return v.Enrolment != nil && v.Enrolment.Status == flow.EnrolmentPending })
		r.must(r.scan(flow.ScanCustomerQR, qrKari))
		v := r.waitFor("Kari", func(v flow.View) bool { return v.Customer != nil && v.Customer.FirstName == "Kari" })
		if v.Enrolment != nil || len(v.Lines) != 1 {
			t.Errorf("after the new QR: enrolment %+v, %d lines", v.Enrolment, len(v.Lines))
		}
		r.paying()
		if req := r.vipps.Requests()[0]; req.MSISDN != kari {
			t.Errorf("payment pushed to %s, want the new customer", req.MSISDN)
		}
	})
}

func TestEnrolment(t *testing.T) {
	cases := []struct {
		name     string
		answer   error
		startErr error
		want     flow.EnrolmentStatus
	}{
		{name: "consents", want: flow.EnrolmentDone},
		{name: "declines", answer: flow.ErrLoginDeclined, want: flow.EnrolmentDeclined},
		{name: "lets it expire", answer: flow.ErrLoginExpired, want: flow.EnrolmentExpired},
		{name: "cannot be asked", startErr: &flow.GatewayError{Kind: flow.ErrInvalid, Code: "invalid_user"}, want: flow.EnrolmentFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			each(t, func(t *testing.T, r *rig) {
				r.vipps.StartLoginErr = tc.startErr
				v := r.customer(qrOla)
				if v.Customer.Member {
					t.Fatal("Ola is not a member yet")
				}
				r.product(brod)
				r.must(r.till.Enrol(r.ctx))
				v = r.waitFor("enrolment pending", func(v flow.View) bool { return v.Enrolment != nil })
				if !flow.ValidBindingMessage(v.Enrolment.BindingMessage) {
					t.Errorf("binding message %q", v.Enrolment.BindingMessage)
				}
				if tc.startErr == nil {
					logins := func() []string {
						var ids []string
						for _, l := range r.vipps.LoginCalls() {
							ids = append(ids, l.AuthReqID)
						}
						return ids
					}
					for len(logins()) == 0 {
						r.waitFor("login started", func(flow.View) bool { return len(logins()) > 0 })
					}
					l := r.vipps.LoginCalls()[0]
					if l.MSISDN != ola || l.BindingMessage != v.Enrolment.BindingMessage {
						t.Errorf("login = %+v", l)
					}
					r.vipps.AnswerLogin(l.AuthReqID, flow.MemberClaims{Sub: "sub-ola", Name: "Ola Nordmann", GivenName: "Ola",
						Email: "ola@example.no", Phone: ola, BirthDate: "1990-05-17", Scopes: []string{"openid", "name", "email"}}, tc.answer)
				}
				v = r.waitFor("enrolment answered", func(v flow.View) bool { return v.Enrolment != nil && v.Enrolment.Status != flow.EnrolmentPending })
				if v.Enrolment.Status != tc.want {
					t.Fatalf("enrolment %s, want %s", v.Enrolment.Status, tc.want)
				}
				m, err := r.db.MemberByMSISDN(r.ctx, ola)
				if tc.want != flow.EnrolmentDone {
					if err == nil || v.Customer.Member {
						t.Errorf("a member was created without consent: %+v", m)
					}
					return
				}
				r.must(err)
				if m.Sub != "sub-ola" || m.GivenName != "Ola" || m.BirthDate != "1990-05-17" || m.EnrolledAt != "pos1" || !m.ConsentAt.Equal(t0) || m.Lang != "nb" {
					t.Errorf("member = %+v", m)
				}
				if !v.Customer.Member || v.Customer.FirstName != "Ola" {
					t.Errorf("customer after enrolment: %+v", v.Customer)
				}
				r.waitFor("member check-in", func(flow.View) bool {
					c := r.vipps.CheckInCalls()
					return len(c) == 2 && c[1].Member
				})
			})
		})
	}
}

func TestCheckInOnlyForNorwayAndNeverBlocking(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrMette)
		r.vipps.CheckInErr = &flow.GatewayError{Kind: flow.ErrTransient, Status: 500}
		r.customer(qrOla)
		r.product(melk)
		v := r.paying()
		if v.Customer.CheckedIn {
			t.Error("a failed check-in shows as done")
		}
		calls := r.vipps.CheckInCalls()
		if len(calls) != 1 || calls[0].MSISDN != ola {
			t.Errorf("check-ins %+v: only the Norwegian number may be checked in", calls)
		}
	})
}

func TestUnreadableQRStillPaysByPersonalQR(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.vipps.ExchangeErr = &flow.GatewayError{Kind: flow.ErrTransient, Status: 500}
		r.must(r.scan(flow.ScanCustomerQR, qrOla))
		r.waitFor("warning", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "customer.qr_unreadable" })
		r.product(melk)
		r.paying()
		if req := r.vipps.Requests()[0]; req.PersonalQR != qrOla || req.MSISDN != "" {
			t.Errorf("request %+v, want a push to the personal QR", req)
		}
	})
}

func TestPaymentRequestRefusals(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		for _, tc := range []struct {
			setup func()
			key   string
		}{
			{func() {}, "payment.empty_sale"},
			{func() { r.product(melk) }, "payment.no_customer"},
		} {
			tc.setup()
			err := r.till.RequestPayment(r.ctx)
			var ne *flow.NoticedError
			if !errors.As(err, &ne) || ne.Notice.Key != tc.key {
				t.Errorf("err = %v, want notice %s", err, tc.key)
			}
		}
		if r.till.View().Stage != flow.StageOpen || len(r.vipps.Requests()) != 0 {
			t.Error("a refused request reached Vipps")
		}
		if err := r.scan(flow.ScanProduct, "7038010000738"); err == nil { // bad check digit
			t.Error("a GTIN with a bad check digit was accepted")
		}
		if v := r.till.View(); v.Notice.Key != "scan.unknown_product" || len(v.Lines) != 1 {
			t.Errorf("bad GTIN: %+v", v.Notice)
		}
		if err := r.scan(flow.ScanProduct, inactive); err == nil || r.till.View().Notice.Key != "scan.inactive_product" {
			t.Errorf("inactive product: %v", err)
		}
	})
}

func TestVippsRefusesThePaymentRequest(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrNotFound, Status: 400, Code: "7010"}}, nil, nil)
		r.must(r.till.RequestPayment(r.ctx))
		v := r.status(flow.PaymentFailed)
		if v.Stage != flow.StageOpen || v.Notice.Key != "payment.customer_unavailable" {
			t.Errorf("after 7010: %s, %+v", v.Stage, v.Notice)
		}
		r.must(r.till.PayByQR(r.ctx))
		v = r.status(flow.PaymentWaiting)
		if v.Payment.Push || v.Payment.QR == "" || v.Payment.Reference != "pos1-000001-2" {
			t.Errorf("QR payment %+v", v.Payment)
		}
	})
}

func TestLostCreateIsResentWithTheSameKey(t *testing.T) {
	for _, lost := range []bool{false, true} {
		name := map[bool]string{false: "never arrived", true: "arrived, answer lost"}[lost]
		t.Run(name, func(t *testing.T) {
			each(t, func(t *testing.T, r *rig) {
				r.customer(qrOla)
				r.product(melk)
				r.vipps.CreateLost = lost
				r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrTransient, Status: 502}}, nil, nil)
				r.must(r.till.RequestPayment(r.ctx))
				r.waitFor("read-back scheduled", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "payment.unconfirmed" })
				r.clock.Advance(2 * time.Second)
				v := r.status(flow.PaymentWaiting)
				reqs := r.vipps.Requests()
				want := 2
				if lost {
					want = 1 // the read-back found it: no second create
				}
				if len(reqs) != want {
					t.Fatalf("%d creates, want %d", len(reqs), want)
				}
				if reqs[len(reqs)-1].IdempotencyKey != reqs[0].IdempotencyKey || reqs[len(reqs)-1].Reference != v.Payment.Reference {
					t.Errorf("the retry was a different request: %+v", reqs)
				}
			})
		})
	}
}

// A push requested while the customer's QR is still being exchanged goes
// to the QR's holder. If that create must be re-sent, it is re-sent exactly
// (Vipps refuses the same key with another body, and the first request may
// already be on the phone), even though the till has learnt the number.
func TestResentCreateKeepsItsBodyWhenTheCustomerIsIdentifiedMeanwhile(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		gate := make(chan struct{})
		r.vipps.ExchangeGate = gate
		r.must(r.scan(flow.ScanCustomerQR, qrOla))
		r.product(melk)
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrTransient, Status: 502}}, nil, nil)
		r.must(r.till.RequestPayment(r.ctx))
		r.waitFor("read-back scheduled", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "payment.unconfirmed" })
		close(gate)
		r.waitFor("customer identified", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
		r.clock.Advance(2 * time.Second)
		r.status(flow.PaymentWaiting)
		reqs := r.vipps.Requests()
		if len(reqs) != 2 {
			t.Fatalf("%d creates, want the lost one and its re-send", len(reqs))
		}
		if reqs[0].PersonalQR != qrOla || reqs[0].MSISDN != "" {
			t.Fatalf("first create went to %q/%q, want the scanned QR", reqs[0].MSISDN, reqs[0].PersonalQR)
		}
		if reqs[1] != reqs[0] {
			t.Errorf("the re-send differs from the first request:\n%+v\n%+v", reqs[0], reqs[1])
		}
	})
}

func TestPollingCadence(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		ref := r.paying().Payment.Reference
		if p := r.clock.Pending(); len(p) == 0 || p[0] > time.Second {
			t.Fatalf("first poll in %v, want ≤ 1s", p)
		}
		for i := 0; i < 60; i++ {
			r.clock.Advance(time.Second)
		}
		first := r.vipps.GetCount(ref)
		if first < 15 || first > 120 {
			t.Errorf("%d reads in the first minute, want some but at most 120", first)
		}
		// 429s push the reads further apart.
		var limited []error
		for i := 0; i < 5; i++ {
			limited = append(limited, &flow.GatewayError{Kind: flow.ErrRateLimited, Status: 429, RetryAfter: 10 * time.Second})
		}
		r.vipps.SetErrs(nil, limited, nil)
		before := r.vipps.GetCount(ref)
		for i := 0; i < 60; i++ {
			r.clock.Advance(time.Second)
		}
		if n := r.vipps.GetCount(ref) - before; n > 6 {
			t.Errorf("%d reads in a minute of 429s", n)
		}
		r.vipps.Approve(ref)
		r.clock.Advance(3 * time.Minute)
		r.status(flow.PaymentAuthorized)
		after := r.vipps.GetCount(ref)
		r.clock.Advance(time.Minute)
		if r.vipps.GetCount(ref) != after {
			t.Error("polling continued after the payment was final")
		}
	})
}

func TestPayByQRInsteadOfPush(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		first := r.paying().Payment.Reference
		r.must(r.till.PayByQR(r.ctx))
		v := r.waitFor("QR payment", func(v flow.View) bool {
			return v.Payment != nil && !v.Payment.Push && v.Payment.Status == flow.PaymentWaiting
		})
		if r.vipps.State(first) != flow.VippsTerminated {
			t.Errorf("the push request is %s, want TERMINATED before a QR is shown", r.vipps.State(first))
		}
		if v.Payment.QR == "" || v.Payment.Reference != first+"-2" {
			t.Errorf("QR payment %+v", v.Payment)
		}
		r.vipps.Approve(v.Payment.Reference)
		r.clock.Advance(time.Second)
		r.status(flow.PaymentAuthorized)
	})
}

func TestResumeAfterRestart(t *testing.T) {
	t.Run("approved while the till was down", func(t *testing.T) {
		each(t, func(t *testing.T, r *rig) {
			r.customer(qrKari)
			r.product(melk)
			ref := r.paying().Payment.Reference
			r.restart()
			if v := r.till.View(); v.Stage != flow.StagePaying || v.Payment.Reference != ref || len(v.Lines) != 1 || !v.Customer.Member {
				t.Fatalf("resumed view %+v", v)
			}
			r.vipps.Approve(ref)
			r.clock.Advance(0)
			v := r.status(flow.PaymentAuthorized)
			if len(r.jobs(v.SaleID)) != 3 {
				t.Error("no settlement jobs after resuming")
			}
		})
	})
	t.Run("crashed before the request reached Vipps", func(t *testing.T) {
		each(t, func(t *testing.T, r *rig) {
			r.customer(qrOla)
			r.product(melk)
			r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrTransient}}, nil, nil)
			r.must(r.till.RequestPayment(r.ctx))
			r.waitFor("create tried", func(flow.View) bool { return len(r.vipps.Requests()) == 1 })
			r.restart()
			r.clock.Advance(0)
			v := r.status(flow.PaymentWaiting)
			reqs := r.vipps.Requests()
			if len(reqs) != 2 || reqs[1].IdempotencyKey != reqs[0].IdempotencyKey || reqs[1].Reference != v.Payment.Reference {
				t.Errorf("re-sent request %+v", reqs)
			}
		})
	})
	t.Run("open sale with an enrolment", func(t *testing.T) {
		each(t, func(t *testing.T, r *rig) {
			r.customer(qrOla)
			r.product(brod)
			r.must(r.till.Enrol(r.ctx))
			r.waitFor("login started", func(flow.View) bool { return len(r.vipps.LoginCalls()) == 1 })
			r.till.View()
			r.restart()
			v := r.till.View()
			if v.Stage != flow.StageOpen || v.Enrolment == nil || v.Enrolment.Status != flow.EnrolmentPending || len(v.Lines) != 1 {
				t.Fatalf("resumed %+v", v)
			}
			r.vipps.AnswerLogin("auth-1", flow.MemberClaims{Sub: "sub-ola", GivenName: "Ola", Phone: ola}, nil)
			r.waitFor("enrolled", func(v flow.View) bool { return v.Customer != nil && v.Customer.Member })
		})
	})
}

func TestVoidAndNewSale(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.product(melk)
		if err := r.till.NewSale(r.ctx); err == nil {
			t.Error("NewSale dropped an open sale")
		}
		id := r.till.View().SaleID
		r.must(r.till.VoidSale(r.ctx))
		if v := r.till.View(); v.Stage != flow.StageCancelled {
			t.Errorf("after void: %s", v.Stage)
		}
		r.must(r.till.NewSale(r.ctx))
		r.product(brod)
		v := r.till.View()
		if v.SaleID == id || v.ReceiptNumber != "000002" || len(v.Lines) != 1 {
			t.Errorf("next sale %+v", v)
		}
		sales, err := r.till.RecentSales(r.ctx, 5)
		r.must(err)
		if len(sales) != 1 || sales[0].SaleID != id {
			t.Errorf("recent sales %+v", sales)
		}
	})
}

func TestCartLinesAndVAT(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.product(melk)
		r.product(brod)
		r.product(melk)
		r.product(batteri)
		r.must(r.till.AddProduct(r.ctx, avis, 2))
		r.must(r.till.SetQuantity(r.ctx, 1, 0)) // the bread goes back
		v := r.till.View()
		if len(v.Lines) != 3 || v.Lines[0].Quantity != 2 || v.Lines[2].GTIN != avis || v.Lines[2].Quantity != 2 {
			t.Fatalf("lines %+v", v.Lines)
		}
		if v.Total != 2*2590+8900+2*4500 {
			t.Errorf("total %d", v.Total)
		}
		want := []flow.VATLine{{Rate: 0, Gross: 9000, Net: 9000, VAT: 0}, {Rate: 15, Gross: 5180, Net: 4504, VAT: 676}, {Rate: 25, Gross: 8900, Net: 7120, VAT: 1780}}
		if len(v.VAT) != len(want) {
			t.Fatalf("VAT %+v", v.VAT)
		}
		for i := range want {
			if v.VAT[i] != want[i] {
				t.Errorf("VAT[%d] = %+v, want %+v", i, v.VAT[i], want[i])
			}
		}
		// A restart shows the same cart.
		r.restart()
		if got := r.till.View(); got.Total != v.Total || len(got.Lines) != 3 {
			t.Errorf("after restart %+v", got)
		}
	})
}

func TestRefund(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrKari)
		r.product(melk)
		r.must(r.till.AddProduct(r.ctx, batteri, 2))
		ref := r.paying().Payment.Reference
		r.vipps.Approve(ref)
		r.clock.Advance(time.Second)
		id := r.status(flow.PaymentAuthorized).SaleID
		r.must(r.till.Refund(r.ctx, id, map[int]int{1: 1}))
		if err := r.till.Refund(r.ctx, id, map[int]int{1: 2}); err == nil {
			t.Error("returned more batteries than were sold")
		}
		r.must(r.till.Refund(r.ctx, id, nil)) // the rest
		var refunds []flow.OutboxJob
		for _, j := range r.jobs(id) {
			if j.Kind == flow.JobRefund {
				refunds = append(refunds, j.Job())
			}
		}
		if len(refunds) != 2 || refunds[0].Amount != 8900 || refunds[1].Amount != 2590+8900 ||
			refunds[0].IdempotencyKey == refunds[1].IdempotencyKey {
			t.Errorf("refund jobs %+v", refunds)
		}
		if err := r.till.Refund(r.ctx, id, nil); err == nil {
			t.Error("refunded a sale twice")
		}
	})
}

func TestEnrolmentOutlivesThePaidSale(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(brod)
		r.must(r.till.Enrol(r.ctx))
		r.waitFor("login started", func(flow.View) bool { return len(r.vipps.LoginCalls()) == 1 })
		ref := r.paying().Payment.Reference
		r.vipps.Approve(ref)
		r.clock.Advance(time.Second)
		id := r.status(flow.PaymentAuthorized).SaleID
		r.must(r.till.NewSale(r.ctx))
		r.customer(qrKari) // the next customer; Ola is on the way out
		r.vipps.AnswerLogin("auth-1", flow.MemberClaims{Sub: "sub-ola", GivenName: "Ola", Phone: ola}, nil)
		r.waitFor("Ola enrolled", func(flow.View) bool { _, err := r.db.MemberByMSISDN(r.ctx, ola); return err == nil })
		s, err := r.db.Sale(r.ctx, id)
		r.must(err)
		if s.Enrolment.Status != flow.EnrolmentDone || s.Customer.Member == nil || s.Customer.Member.Sub != "sub-ola" {
			t.Errorf("paid sale after consent: %+v, member %+v", s.Enrolment, s.Customer.Member)
		}
		if v := r.till.View(); v.Customer == nil || v.Customer.FirstName != "Kari" || v.Enrolment != nil {
			t.Errorf("the next customer's sale changed: %+v", v.Customer)
		}
	})
}

func TestVoidAbandonsTheEnrolment(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.must(r.till.Enrol(r.ctx))
		r.waitFor("login started", func(flow.View) bool { return len(r.vipps.LoginCalls()) == 1 })
		r.till.View()
		r.must(r.till.VoidSale(r.ctx))
		v := r.till.View()
		if v.Stage != flow.StageCancelled || v.Enrolment.Status != flow.EnrolmentFailed {
			t.Errorf("after void: %s, enrolment %+v", v.Stage, v.Enrolment)
		}
		r.vipps.AnswerLogin("auth-1", flow.MemberClaims{Sub: "sub-ola", Phone: ola}, nil) // too late: nobody listens
		if _, err := r.db.MemberByMSISDN(r.ctx, ola); err == nil {
			t.Error("a voided sale's enrolment created a member")
		}
	})
}

func TestCancelWhileTheRequestIsBeingCreated(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		// The create gets no answer; the cashier cancels meanwhile.
		r.vipps.CreateLost = true
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrTransient}}, nil, nil)
		r.must(r.till.RequestPayment(r.ctx))
		r.waitFor("read-back scheduled", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "payment.unconfirmed" })
		r.must(r.till.CancelPayment(r.ctx))
		r.clock.Advance(2 * time.Second) // read back: Vipps has it, so it is cancelled there
		v := r.status(flow.PaymentCancelled)
		if v.Stage != flow.StageOpen || r.vipps.State(v.Payment.Reference) != flow.VippsTerminated {
			t.Errorf("stage %s, Vipps %s", v.Stage, r.vipps.State(v.Payment.Reference))
		}
	})
}

func TestCancelledByWebhookAndUnknownReferences(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		ref := r.paying().Payment.Reference
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsTerminated, PSPReference: "t", Success: true, At: t0}))
		if v := r.status(flow.PaymentCancelled); v.Stage != flow.StageOpen {
			t.Errorf("stage %s", v.Stage)
		}
		// Vipps sends every event of the sales unit to every till: one for
		// a reference that is not ours is acknowledged and changes nothing.
		if err := r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: "someone-elses-1", Name: flow.VippsAuthorized, Success: true}); err != nil {
			t.Errorf("an event for another till's reference was not acknowledged: %v", err)
		}
		if evs, _ := r.db.PaymentEvents(r.ctx, "someone-elses-1"); len(evs) != 0 {
			t.Errorf("another till's event was stored: %+v", evs)
		}
	})
}

func TestLateApprovalOfAFailedRequestIsStillPaid(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		r.vipps.CreateLost = true
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "3010"}}, nil, nil)
		r.must(r.till.RequestPayment(r.ctx))
		v := r.status(flow.PaymentFailed)
		// Vipps had it after all, and the customer approved.
		r.vipps.Approve(v.Payment.Reference)
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: v.Payment.Reference, Name: flow.VippsAuthorized, Amount: 2590, PSPReference: "a", Success: true, At: t0}))
		v = r.status(flow.PaymentAuthorized)
		if v.Stage != flow.StagePaid || len(r.jobs(v.SaleID)) != 3 {
			t.Errorf("late approval: %s with %d jobs", v.Stage, len(r.jobs(v.SaleID)))
		}
	})
}

func TestSettlementProgressReachesTheView(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrKari)
		r.product(melk)
		ref := r.paying().Payment.Reference
		r.vipps.Approve(ref)
		r.clock.Advance(time.Second)
		id := r.status(flow.PaymentAuthorized).SaleID
		jobs := r.jobs(id)
		// The worker (another process, maybe) parks the capture…
		r.must(r.db.Gorm().Model(&jobs[1]).Updates(map[string]any{"state": flow.JobParked, "last_error": "6100 capture period expired"}).Error)
		r.clock.Advance(3 * time.Second)
		v := r.waitFor("parked", func(v flow.View) bool { return v.Settlement == flow.SettlementParked })
		if v.Parked != 1 {
			t.Errorf("parked count %d", v.Parked)
		}
		parked, err := r.till.ParkedJobs(r.ctx)
		r.must(err)
		if len(parked) != 1 || parked[0].Job != flow.JobCapture || parked[0].ReceiptNumber != "000001" || parked[0].Error == "" {
			t.Fatalf("parked jobs %+v", parked)
		}
		// …a manager retries it, and the worker finishes everything.
		r.must(r.till.RetryParked(r.ctx, parked[0].ID))
		if v := r.till.View(); v.Settlement != flow.SettlementQueued || v.Parked != 0 {
			t.Errorf("after retry: %s, %d parked", v.Settlement, v.Parked)
		}
		r.must(r.db.Gorm().Model(&store.OutboxJobRow{}).Where("sale_id = ?", id).Update("state", flow.JobDone).Error)
		r.clock.Advance(3 * time.Second)
		r.waitFor("settled", func(v flow.View) bool { return v.Settlement == flow.SettlementDone })
	})
}

func TestReprintWithoutPrinter(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		var ne *flow.NoticedError
		if err := r.till.Reprint(r.ctx, 1); !errors.As(err, &ne) || ne.Notice.Key != "print.no_printer" {
			t.Errorf("reprint: %v", err)
		}
	})
}

func TestUnreachableVippsDoesNotLockTheTillForever(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		ref := r.paying().Payment.Reference
		var down []error
		for i := 0; i < 100; i++ {
			down = append(down, &flow.GatewayError{Kind: flow.ErrTransient})
		}
		r.vipps.SetErrs(nil, down, down)
		r.must(r.till.CancelPayment(r.ctx))
		r.waitFor("cancel failed", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "payment.cancel_failed" })
		r.clock.Advance(9 * time.Minute)
		if v := r.till.View(); v.Payment.Status != flow.PaymentWaiting {
			t.Fatalf("gave up before the request expired: %s", v.Payment.Status)
		}
		r.clock.Advance(4 * time.Minute)
		v := r.status(flow.PaymentExpired)
		if v.Stage != flow.StageOpen {
			t.Errorf("stage %s", v.Stage)
		}
		r.must(r.till.VoidSale(r.ctx))
		// Should the approval surface after all…
		r.vipps.SetErrs(nil, nil, nil)
		r.vipps.Approve(ref)
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsAuthorized, Amount: 2590, PSPReference: "late", Success: true, At: t0}))
		// …but the sale was voided: the reservation is given back, never captured.
		jobs := r.jobs(v.SaleID)
		if len(jobs) != 1 || jobs[0].Kind != flow.JobRelease || jobs[0].Reference != ref {
			t.Fatalf("jobs of the voided sale: %+v, want one release of %s", jobs, ref)
		}
		if j := r.journal(v.SaleID); !strings.Contains(j[len(j)-1].Detail, "will be released") {
			t.Errorf("journal ends with %q", j[len(j)-1].Detail)
		}
		r.settle()
		if evs, _ := r.vipps.PaymentEvents(r.ctx, ref); evs[len(evs)-1].Name != "CANCELLED" {
			t.Errorf("Vipps' last event is %s, want the reservation cancelled", evs[len(evs)-1].Name)
		}
		if parked, _ := r.db.ParkedJobs(r.ctx); len(parked) != 1 || !strings.Contains(parked[0].Error, "released an approval") {
			t.Errorf("Problems list: %+v, want the released approval reported", parked)
		}
	})
}

func TestWebhookFasterThanTheCreateAnswer(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		ref := flow.Reference("", "pos1", 1, 1)
		// CREATED arrives by webhook before CreatePayment has answered.
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrTransient}}, nil, nil)
		r.vipps.CreateLost = true
		r.must(r.till.RequestPayment(r.ctx))
		stored, err := r.db.Sale(r.ctx, r.till.View().SaleID)
		r.must(err)
		key := stored.Payment.IdempotencyKey
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsCreated, PSPReference: "c", IdempotencyKey: key, Success: true, At: t0}))
		r.status(flow.PaymentWaiting)
		// No AUTHORIZED webhook ever comes; polling finds it.
		r.vipps.Approve(ref)
		r.clock.Advance(3 * time.Second)
		r.status(flow.PaymentAuthorized)
	})
}

// Tills of a chain share one database (PostgreSQL): a customer enrolled at
// one till is a member at the next; each till numbers its own receipts.
func TestTwoTillsShareTheClub(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		r.must(r.till.Enrol(r.ctx))
		r.waitFor("login started", func(flow.View) bool { return len(r.vipps.LoginCalls()) == 1 })
		r.vipps.AnswerLogin("auth-1", flow.MemberClaims{Sub: "sub-ola", GivenName: "Ola", Phone: ola}, nil)
		r.waitFor("enrolled", func(v flow.View) bool { return v.Customer != nil && v.Customer.Member })
		first := r.paying().Payment.Reference

		other := &rig{t: t, ctx: r.ctx, db: r.db, clock: r.clock, vipps: r.vipps}
		other.startAs("pos2")
		v := other.customer(qrOla)
		if !v.Customer.Member || v.Customer.FirstName != "Ola" {
			t.Errorf("at the second till Ola is %+v", v.Customer)
		}
		other.product(brod)
		v = other.paying()
		if v.ReceiptNumber != "000001" || v.Payment.Reference != "pos2-000001" || v.Payment.Reference == first {
			t.Errorf("second till: receipt %s, reference %s (first till: %s)", v.ReceiptNumber, v.Payment.Reference, first)
		}
	})
}

// TestScansWhileNobodyIsLoggedIn: a till that needs a cashier takes no
// scan while nobody is logged in, and says to log in first.
func TestScansWhileNobodyIsLoggedIn(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		in := false
		r.till.RequireCashier(func() bool { return in })
		for _, s := range []flow.Scan{{Kind: flow.ScanProduct, Code: melk}, {Kind: flow.ScanCustomerQR, Code: qrKari}} {
			err := r.till.Scan(r.ctx, s)
			var ne *flow.NoticedError
			if !errors.As(err, &ne) || ne.Notice.Key != "scan.log_in_first" {
				t.Fatalf("%s scanned while logged out: %v", s.Kind, err)
			}
		}
		if err := r.till.AddProduct(r.ctx, melk, 2); err == nil {
			t.Fatal("an item typed while logged out was taken")
		}
		if v := r.till.View(); v.Stage != flow.StageIdle || len(v.Lines) != 0 || v.Notice == nil || v.Notice.Key != "scan.log_in_first" {
			t.Fatalf("after scans while logged out the till shows %+v", v)
		}
		if open, _ := r.db.OpenSales(r.ctx, "pos1"); len(open) != 0 {
			t.Fatalf("a sale was started while logged out: %+v", open)
		}
		in = true
		r.product(melk)
		if v := r.till.View(); len(v.Lines) != 1 || v.Notice != nil {
			t.Fatalf("after logging in the scan is %+v", v)
		}
	})
}

// TestViewSaysWhatMayBeDone: at every step of a sale the View's Can… answers
// are exactly what the intents take.
func TestViewSaysWhatMayBeDone(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		type can struct{ lines, enrol, request, qr, cancel, void, newSale bool }
		of := func(v flow.View) can {
			return can{v.CanChangeLines, v.CanEnrol, v.CanRequestPayment, v.CanPayByQR, v.CanCancel, v.CanVoid, v.CanNewSale}
		}
		check := func(step string, want can) {
			t.Helper()
			if got := of(r.till.View()); got != want {
				t.Errorf("%s: may %+v, want %+v", step, got, want)
			}
		}
		check("idle", can{newSale: true})
		r.product(melk)
		check("wares, no customer", can{lines: true, qr: true, void: true})
		r.customer(qrOla)
		check("a non-member", can{lines: true, enrol: true, request: true, qr: true, void: true})
		r.must(r.till.Enrol(r.ctx))
		check("enrolment waiting", can{lines: true, request: true, qr: true, void: true})
		r.paying()
		check("paying", can{enrol: false, qr: true, cancel: true})
		if err := r.till.Enrol(r.ctx); err == nil {
			t.Error("a second enrolment was taken while one waits")
		}
		r.must(r.till.CancelPayment(r.ctx))
		r.status(flow.PaymentCancelled)
		check("cancelled payment", can{lines: true, request: true, qr: true, void: true})
		r.paying()
		ref := r.vipps.Requests()[len(r.vipps.Requests())-1].Reference
		r.vipps.Approve(ref)
		r.clock.Advance(time.Second)
		r.status(flow.PaymentAuthorized)
		check("paid", can{newSale: true})
		for name, refused := range map[string]error{
			"void": r.till.VoidSale(r.ctx), "request": r.till.RequestPayment(r.ctx), "cancel": r.till.CancelPayment(r.ctx),
			"lines": r.till.SetQuantity(r.ctx, 0, 2),
		} {
			if refused == nil {
				t.Errorf("%s was taken on a paid sale", name)
			}
		}
	})
}

// TestNoticesClear: a notice goes with the next sale, or after
// NoticeLifetime; a newer notice is not cleared by the older one's timer.
func TestNoticesClear(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		_ = r.scan(flow.ScanProduct, "7000000000003")
		if v := r.till.View(); v.Notice == nil || v.Notice.Key != "scan.unknown_product" {
			t.Fatalf("no notice for an unknown product: %+v", v.Notice)
		}
		r.clock.Advance(flow.NoticeLifetime - time.Second)
		_ = r.till.VoidSale(r.ctx) // nothing to void: a newer notice
		r.clock.Advance(2 * time.Second)
		if v := r.till.View(); v.Notice == nil || v.Notice.Key != "sale.nothing_to_void" {
			t.Fatalf("the older notice's timer cleared the newer one: %+v", v.Notice)
		}
		r.clock.Advance(flow.NoticeLifetime)
		if v := r.till.View(); v.Notice != nil {
			t.Fatalf("notice still there after %v: %+v", flow.NoticeLifetime, v.Notice)
		}
		// A paid sale's "approved" goes with the next sale.
		r.product(melk)
		r.customer(qrKari)
		r.paying()
		r.vipps.Approve(r.vipps.Requests()[0].Reference)
		r.clock.Advance(time.Second)
		r.status(flow.PaymentAuthorized)
		if v := r.till.View(); v.Notice == nil || v.Notice.Key != "payment.approved" {
			t.Fatalf("after approval: %+v", v.Notice)
		}
		r.must(r.till.NewSale(r.ctx))
		if v := r.till.View(); v.Notice != nil {
			t.Errorf("the paid sale's notice stays on the next sale: %+v", v.Notice)
		}
	})
}
