package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kasse-pos/kasse/flow"
)

// cashierLogin gives the rig's windows a login gate with Ola (manager,
// 1234) and Kari (cashier, 5678), nobody logged in, and shows the gate as
// the till does when its windows open.
func cashierLogin(t *testing.T, session **flow.CashierSession) func(*Options) {
	return func(o *Options) {
		store := &listCashiers{}
		for _, c := range []flow.Cashier{{Name: "Ola", Role: flow.RoleManager}, {Name: "Kari", Role: flow.RoleCashier}} {
			pin := map[string]string{"Ola": "1234", "Kari": "5678"}[c.Name]
			c.PINHash, _ = flow.HashPINWithCost(pin, 1000)
			c.Active = true
			store.SaveCashier(context.Background(), &c)
		}
		*session = flow.NewCashierSession(store, nil, nil)
		o.StoreOps = &StoreOps{Cashiers: *session}
	}
}

// loginShown is the login screen on the cashier window, nil when hidden.
func (r *rig) loginShown() *LoginScreen {
	top := r.w.Cashier.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	for _, o := range test.LaidOutObjects(top) {
		if s, ok := o.(*LoginScreen); ok && s.Visible() {
			return s
		}
	}
	return nil
}

func (r *rig) showWindows() {
	for _, f := range r.w.onShow {
		f()
	}
}

// TestHardwareKeyboardPINGoesToThePINPad: a cashier types the PIN on a
// keyboard while the login screen shows. The digits go to the PIN pad, not
// to the sale's keypad behind it (where "1234" once became the quantity of
// the last line, shown to the customer).
func TestHardwareKeyboardPINGoesToThePINPad(t *testing.T) {
	for _, wedge := range []bool{false, true} {
		var session *flow.CashierSession
		more := cashierLogin(t, &session)
		var r *rig
		if wedge {
			// With a keyboard-wedge decoder, the keys come back as a person's typing.
			more = func(o *Options) {
				cashierLogin(t, &session)(o)
				o.OnKey = func(k rune, _ time.Time) { r.w.PressKey(k) }
			}
		}
		r = newRigWith(t, "en", more, kari)
		r.scan(kari.QR)
		_ = r.till.AddProduct(t.Context(), "7311041013663", 1)
		r.pump()
		r.showWindows()
		login := r.loginShown()
		if login == nil {
			t.Fatal("no login screen when nobody is logged in")
		}
		test.Tap(nameButton(t, login, "Kari"))
		typeKeys := r.w.Cashier.Canvas().OnTypedRune()
		for _, k := range "5678" {
			typeKeys(k)
		}
		if got := r.w.cashier.keypad.display.Text; got != "Item number, or quantity then ×" {
			t.Errorf("wedge %v: the sale's keypad got the PIN: %q", wedge, got)
		}
		if s := login; s.pin != "5678" {
			t.Errorf("wedge %v: the PIN pad has %q, want the typed 5678", wedge, s.pin)
		}
		r.w.Cashier.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if c, ok := session.Current(); !ok || c.Name != "Kari" {
			t.Errorf("wedge %v: Enter on the keyboard did not log Kari in (%+v)", wedge, c)
		}
		if q := r.till.View().Lines[0].Quantity; q != 1 {
			t.Errorf("wedge %v: the last line's quantity became %d", wedge, q)
		}
		// Logged in, the keyboard types on the sale's keypad again.
		typeKeys('3')
		if got := r.w.cashier.keypad.display.Text; got != "3" {
			t.Errorf("wedge %v: after login the keypad shows %q", wedge, got)
		}
	}
}

// TestRefusedRefundReachesTheScreen: a cashier who may not refund taps
// Refund and is told to ask a manager, instead of nothing happening.
func TestRefusedRefundReachesTheScreen(t *testing.T) {
	var session *flow.CashierSession
	var r *rig
	r = newRigWith(t, "en", func(o *Options) {
		cashierLogin(t, &session)(o)
		o.StoreOps = nil
		j := flow.NewElectronicJournal(flow.NewMemoryJournal(), "pos1", time.UTC, nil)
		o.Till = &flow.JournaledTill{Till: o.Till, Journal: j, Session: session,
			Sales: loadSale(func(ctx context.Context, id int64) (*flow.Sale, error) { return r.shop.Store.Sale(ctx, id) })}
	}, kari)
	if _, err := session.Login(t.Context(), 2, "5678"); err != nil { // Kari, a cashier
		t.Fatal(err)
	}
	r.scan(kari.QR)
	r.keypad("7038010069307\n")
	r.request()
	r.answer("payment", true)
	r.settle()
	test.Tap(r.w.cashier.sales)
	tapButton(t, r.w.Cashier.Canvas(), "Refund")
	tapButton(t, r.w.Cashier.Canvas(), "Refund")
	if got := r.w.cashier.notice.Text; !strings.HasPrefix(got, "Only a manager may do this") {
		t.Errorf("a refused refund shows %q", got)
	}
	if jobs, _ := r.shop.Store.SaleJobs(t.Context(), r.till.View().SaleID); jobs[len(jobs)-1].Kind == flow.JobRefund {
		t.Error("a cashier's refund was queued")
	}
}

type loadSale func(ctx context.Context, id int64) (*flow.Sale, error)

func (f loadSale) Sale(ctx context.Context, id int64) (*flow.Sale, error) { return f(ctx, id) }

// TestWithinPlacesThroughContainersAndScrolls: where a name button of the
// login screen is, found through its containers and its scroll.
func TestWithinPlacesThroughContainersAndScrolls(t *testing.T) {
	var session *flow.CashierSession
	r := newRigWith(t, "en", cashierLogin(t, &session), kari)
	r.showWindows()
	s := r.loginShown()
	b := nameButton(t, s, "Kari")
	rel, ok := within(s.content, b)
	if !ok {
		t.Fatal("the name button is not found under the login screen")
	}
	if want := placed(s, b); rel.X != want.x-placed(s, s).x || rel.Y != want.y-placed(s, s).y {
		t.Errorf("within says %v, the screen draws it at %+v", rel, want)
	}
}
