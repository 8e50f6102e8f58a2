package flow_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/flow/flowtest"
)

// These tests look where stores differ from the demo: two installations
// on one sales unit, tills sharing a database, stale copies of a sale, and
// approvals that arrive after the till moved on.

// rigOn opens another till on db that talks to the same Vipps as r.
func rigOn(t *testing.T, db *store.DB, v *flowtest.Vipps, installation, posID string) *rig {
	t.Helper()
	o := newRig(t, db)
	o.till.Close()
	o.vipps, o.clock = v, flowtest.NewClock(t0)
	o.till = flow.NewCheckout(flow.Options{POSID: posID, Installation: installation, Currency: "NOK", StoreName: "Testbutikken",
		Store: db, Vipps: v, Clock: o.clock, BindingMessage: func() string { return "AB12-CD3" },
		Log: slog.New(slog.DiscardHandler)})
	o.must(o.till.Resume(o.ctx))
	t.Cleanup(o.till.Close)
	return o
}

// A second installation (or a database restored from before) that sends a
// reference Vipps already holds for another payment must never take that
// payment as its own: Vipps answers 409, the event log shows the payment
// was created under another key, and the sale moves on to a new reference.
// (The till used to read the other payment back and mark its sale paid.)
func TestAReferenceTakenByAnotherInstallationIsNeverPaid(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			a := newRig(t, b.Open(t))
			a.customer(qrKari)
			a.product(batteri)
			ref := a.paying().Payment.Reference
			a.vipps.Approve(ref)
			a.clock.Advance(2 * time.Second)
			a.status(flow.PaymentAuthorized)

			// The same till id and receipt number 1 in another database.
			other := rigOn(t, b.Open(t), a.vipps, "", "pos1")
			other.customer(qrOla)
			other.product(melk)
			other.must(other.till.RequestPayment(other.ctx))
			other.waitFor("conflict noticed", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "payment.unconfirmed" })
			other.clock.Advance(2 * time.Second) // the poller reads the event log
			v := other.waitFor("new attempt waiting", func(v flow.View) bool {
				return v.Payment != nil && v.Payment.Reference == ref+"-2" && v.Payment.Status == flow.PaymentWaiting
			})
			if v.Stage != flow.StagePaying {
				t.Fatalf("stage %s", v.Stage)
			}
			first, err := other.db.Sale(other.ctx, v.SaleID)
			other.must(err)
			if first.Payment.Reference != ref+"-2" {
				t.Fatalf("current payment %s", first.Payment.Reference)
			}
			j := other.journal(v.SaleID)
			found := false
			for _, e := range j {
				found = found || strings.Contains(e.Detail, "not ours")
			}
			if !found {
				t.Errorf("the journal does not say the reference was taken: %+v", j)
			}
			if st := a.vipps.State(ref); st != flow.VippsAuthorized || len(a.vipps.CancelCalls()) != 0 {
				t.Errorf("the other installation's payment is %s, cancels %v: it must be left alone", st, a.vipps.CancelCalls())
			}
			other.vipps.Approve(ref + "-2")
			other.clock.Advance(3 * time.Second)
			paid := other.status(flow.PaymentAuthorized)
			if paid.Payment.Reference != ref+"-2" || paid.Total != 2590 {
				t.Errorf("paid with %s, total %d", paid.Payment.Reference, paid.Total)
			}
			// Webhooks for the foreign reference change nothing either.
			other.must(other.till.HandlePaymentEvent(other.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsAuthorized, Amount: 8900, PSPReference: "x", Success: true, At: t0}))
			if evs, _ := other.db.PaymentEvents(other.ctx, ref); len(evs) != 0 {
				t.Errorf("events of another installation's payment were kept: %+v", evs)
			}
		})
	}
}

// On a chain's shared database every till receives every event of the
// sales unit. Another till's events are acknowledged and ignored — never
// applied, never journaled — and they do not stop this till's own polling.
func TestEventsOfAnotherTillOnTheSharedDatabaseAreIgnored(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrKari)
		r.product(batteri)
		ref1 := r.paying().Payment.Reference
		other := rigOn(t, r.db, r.vipps, "", "pos2")
		other.customer(qrOla)
		other.product(melk)
		ref2 := other.paying().Payment.Reference
		sale1 := r.till.View().SaleID
		before := len(r.journal(sale1))

		r.vipps.Approve(ref1)
		for _, name := range []string{flow.VippsCreated, flow.VippsAuthorized} {
			if err := other.till.HandlePaymentEvent(other.ctx, flow.PaymentEvent{Reference: ref1, Name: name, Amount: 8900, PSPReference: "p-" + name, Success: true, At: t0}); err != nil {
				t.Fatalf("pos2 refused pos1's %s event: %v", name, err)
			}
		}
		if got := len(r.journal(sale1)); got != before {
			t.Errorf("pos2 journaled pos1's event: %d entries, had %d", got, before)
		}
		s1, err := r.db.Sale(r.ctx, sale1)
		r.must(err)
		if s1.Stage != flow.StagePaying {
			t.Errorf("pos1's sale became %s through pos2", s1.Stage)
		}
		// pos2's own poller still runs.
		r.vipps.Approve(ref2)
		other.clock.Advance(3 * time.Second)
		other.status(flow.PaymentAuthorized)
		// And pos1 takes its own approval by polling.
		r.clock.Advance(3 * time.Second)
		r.status(flow.PaymentAuthorized)
		if jobs := r.jobs(sale1); len(jobs) != 3 {
			t.Errorf("pos1's sale has %d settlement jobs, want 3 (receipt, capture, confirm)", len(jobs))
		}
	})
}

// A transition computed from an older copy of a sale is refused by the
// store; it never overwrites the newer state (a stale copy used to
// overwrite a stored "paid" with "waiting").
func TestAStaleCopyOfASaleCannotOverwriteANewerState(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrKari)
		r.product(batteri)
		r.paying()
		id := r.till.View().SaleID
		old, err := r.db.Sale(r.ctx, id)
		r.must(err)
		r.vipps.Approve(old.Payment.Reference)
		r.clock.Advance(2 * time.Second)
		r.status(flow.PaymentAuthorized)

		stale := old.Clone()
		stale.Payment.Status = flow.PaymentWaiting
		err = r.db.SaveSale(r.ctx, flow.SaleChange{Sale: stale})
		if !errors.Is(err, flow.ErrStaleSale) {
			t.Fatalf("saving a stale copy: %v, want ErrStaleSale", err)
		}
		now, err := r.db.Sale(r.ctx, id)
		r.must(err)
		if now.Stage != flow.StagePaid || now.Payment.Status != flow.PaymentAuthorized {
			t.Errorf("stored sale %s/%s after the stale write", now.Stage, now.Payment.Status)
		}
	})
}

// Vipps unreachable past the expiry: the till gives the request up so the
// sale can go on. If the customer approved it meanwhile and the sale has
// moved on to a new request, that approval is released by the settlement
// worker and reported on the Problems list — never left reserved on the
// customer's account, never captured.
func TestAnApprovalAfterTheTillGaveUpIsReleasedOnceTheSaleMovesOn(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		ref1 := r.paying().Payment.Reference
		var down []error
		for range 200 {
			down = append(down, &flow.GatewayError{Kind: flow.ErrTransient})
		}
		r.vipps.SetErrs(nil, down, nil)
		r.clock.Advance(13 * time.Minute)
		r.status(flow.PaymentExpired)
		r.vipps.Approve(ref1) // the customer approved while the till could not see it
		r.vipps.SetErrs(nil, nil, nil)

		v := r.paying() // the cashier asks again: a new request
		ref2 := v.Payment.Reference
		if ref2 == ref1 {
			t.Fatalf("no new reference")
		}
		jobs := r.jobs(v.SaleID)
		if len(jobs) != 1 || jobs[0].Kind != flow.JobRelease || jobs[0].Reference != ref1 {
			t.Fatalf("jobs %+v, want a release of %s", jobs, ref1)
		}
		r.settle()
		if evs, _ := r.vipps.PaymentEvents(r.ctx, ref1); evs[len(evs)-1].Name != "CANCELLED" {
			t.Errorf("the first request's last event is %s, want its reservation cancelled", evs[len(evs)-1].Name)
		}
		parked, err := r.db.ParkedJobs(r.ctx)
		r.must(err)
		if len(parked) != 1 || parked[0].Reference != ref1 || !strings.Contains(parked[0].Error, "released an approval") {
			t.Errorf("Problems list %+v, want the released approval of %s", parked, ref1)
		}
		// The sale itself is paid by the second request as usual.
		r.vipps.Approve(ref2)
		r.clock.Advance(2 * time.Second)
		if paid := r.status(flow.PaymentAuthorized); paid.Payment.Reference != ref2 {
			t.Errorf("paid with %s", paid.Payment.Reference)
		}
	})
}

// A create refused with "try again later" spends its key: the request goes
// again under a new key (Vipps keeps refusing the old one).
func TestACreateRefusedForNowGoesAgainUnderANewKey(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrRetryLater, Status: 423, Code: "6160"}}, nil, nil)
		r.must(r.till.RequestPayment(r.ctx))
		r.waitFor("refused for now", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "payment.unconfirmed" })
		r.clock.Advance(2 * time.Second) // the poller finds nothing at Vipps and sends it again
		v := r.status(flow.PaymentWaiting)
		reqs := r.vipps.Requests()
		if len(reqs) != 2 || reqs[0].Reference != reqs[1].Reference || reqs[0].IdempotencyKey == reqs[1].IdempotencyKey {
			t.Fatalf("creates %+v: want the same reference twice under two keys", reqs)
		}
		if v.Payment.Reference != reqs[0].Reference {
			t.Errorf("payment %s", v.Payment.Reference)
		}
	})
}

// An approval whose webhook beats the create's answer is not lost: it is
// held until the request is proved ours, then taken in as the webhook said
// (it used to be dropped, and the sale waited for a poll).
func TestAWebhookFasterThanTheProofIsHeldThenTaken(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrTransient}}, nil, nil)
		r.vipps.CreateLost = true // Vipps has it; the answer was lost
		r.must(r.till.RequestPayment(r.ctx))
		r.waitFor("unconfirmed", func(v flow.View) bool { return v.Notice != nil && v.Notice.Key == "payment.unconfirmed" })
		ref := r.vipps.Requests()[0].Reference
		r.vipps.Approve(ref)
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsAuthorized, Amount: 2590, PSPReference: "a", Success: true, At: t0}))
		r.clock.Advance(time.Millisecond)     // the event log is read at once
		v := r.status(flow.PaymentAuthorized) // proved ours; the held approval follows
		paid := ""
		for _, e := range r.journal(v.SaleID) {
			if e.To == "paid/authorized" && strings.HasPrefix(e.Detail, "Vipps: AUTHORIZED") {
				paid = e.Detail
			}
		}
		if !strings.Contains(paid, "(from webhook)") {
			t.Errorf("paid %q, want from the held webhook", paid)
		}
	})
}
