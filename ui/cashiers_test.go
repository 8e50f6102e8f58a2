package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kasse-pos/kasse/flow"
)

// A manager adds a cashier in the windows: name, role, the PIN twice. The
// new cashier can log in with it; a mistyped repeat, a bad PIN and a
// cashier trying it are each told what to do, and nothing is added.
func TestAManagerAddsACashierInTheWindows(t *testing.T) {
	var session *flow.CashierSession
	r := newRigWith(t, "en", cashierLogin(t, &session))
	cs, _ := session.Cashiers(t.Context())
	login := func(name, pin string) {
		t.Helper()
		for _, c := range cs {
			if c.Name == name {
				if _, err := session.Login(t.Context(), c.ID, pin); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	fill := func(name, pin, repeat string) *cashierForm {
		t.Helper()
		r.w.cashier.ops.showCashiers()
		f := r.w.cashier.ops.cashierForm
		test.Type(f.name, name)
		test.Type(f.pin, pin)
		test.Type(f.repeat, repeat)
		test.Tap(f.add)
		return f
	}
	count := func() int {
		all, _ := session.Cashiers(t.Context())
		return len(all)
	}

	login("Kari", "5678") // a cashier
	if f := fill("Lise", "2468", "2468"); f.status.Text != "Only a manager adds cashiers: ask a manager to log in." || count() != 2 {
		t.Errorf("a cashier adding one: %q, %d cashiers", f.status.Text, count())
	}
	login("Ola", "1234") // a manager
	if f := fill("Lise", "2468", "2469"); f.status.Text != "The two PINs differ: type the PIN again in both fields." || count() != 2 {
		t.Errorf("a mistyped repeat: %q", f.status.Text)
	}
	if f := fill("Lise", "12", "12"); f.status.Text != "A PIN is 4 to 8 digits: choose another." || count() != 2 {
		t.Errorf("a short PIN: %q", f.status.Text)
	}
	f := fill("Lise", "2468", "2468")
	if f.status.Text != "Lise can log in now with their PIN." || count() != 3 {
		t.Fatalf("adding Lise: %q, %d cashiers", f.status.Text, count())
	}
	all, _ := session.Cashiers(t.Context())
	for _, c := range all {
		if c.Name == "Lise" {
			if _, err := session.Login(t.Context(), c.ID, "2468"); err != nil || c.Role != flow.RoleCashier {
				t.Errorf("Lise logging in: %v, role %s", err, c.Role)
			}
		}
	}
}
