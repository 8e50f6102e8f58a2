package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kasse-pos/kasse/flow"
)

type listCashiers struct{ list []flow.Cashier }

func (l *listCashiers) Cashiers(context.Context) ([]flow.Cashier, error) {
	return slices.Clone(l.list), nil
}
func (l *listCashiers) CashierByID(_ context.Context, id int64) (flow.Cashier, error) {
	for _, c := range l.list {
		if c.ID == id {
			return c, nil
		}
	}
	return flow.Cashier{}, flow.ErrNoRecord
}
func (l *listCashiers) SaveCashier(_ context.Context, c *flow.Cashier) error {
	c.ID = int64(len(l.list) + 1)
	l.list = append(l.list, *c)
	return nil
}

func runNow(f func()) { f() }

// A shop with Ola (manager, 1234) and Kari (cashier, 5678), and the PIN pad.
func loginScreen(t *testing.T) (*LoginScreen, *flow.CashierSession, *[]flow.Cashier) {
	t.Helper()
	test.NewTempApp(t)
	store := &listCashiers{}
	for _, c := range []flow.Cashier{{Name: "Ola", Role: flow.RoleManager}, {Name: "Kari", Role: flow.RoleCashier}} {
		pin := map[string]string{"Ola": "1234", "Kari": "5678"}[c.Name]
		c.PINHash, _ = flow.HashPINWithCost(pin, 1000) // cheap: these tests are about the screen
		c.Active = true
		store.SaveCashier(context.Background(), &c)
	}
	session := flow.NewCashierSession(store, nil, nil)
	if _, err := session.Login(context.Background(), 1, "1234"); err != nil {
		t.Fatal(err)
	}
	var logged []flow.Cashier
	s := NewLoginScreen(session, "en", func(c flow.Cashier) { logged = append(logged, c) }, runNow)
	test.NewTempWindow(t, s)
	return s, session, &logged
}

func nameButton(t *testing.T, s *LoginScreen, name string) *touchButton {
	t.Helper()
	for _, o := range s.names.Objects {
		if b, ok := o.(*touchButton); ok && b.Text == name {
			return b
		}
	}
	t.Fatalf("no button for %s", name)
	return nil
}

func TestLoginWithPINSwitchesCashier(t *testing.T) {
	s, session, logged := loginScreen(t)
	test.Tap(nameButton(t, s, "Kari"))
	if s.who.Text != "Kari" || !s.login.Disabled() {
		t.Fatalf("after choosing Kari: who %q, login enabled %v", s.who.Text, !s.login.Disabled())
	}
	for _, r := range "5679\b8" {
		test.Tap(s.keys[r])
	}
	if strings.Count(s.dots.Text, "●") != 4 || s.login.Disabled() {
		t.Fatalf("after 4 digits: %q, login disabled %v", s.dots.Text, s.login.Disabled())
	}
	test.Tap(s.login)
	if len(*logged) != 1 || (*logged)[0].Name != "Kari" {
		t.Fatalf("OnLogin got %+v", *logged)
	}
	if c, _ := session.Current(); c.Name != "Kari" {
		t.Errorf("session says %q is logged in", c.Name)
	}
	if s.dots.Text != " " {
		t.Errorf("the PIN is still shown after logging in: %q", s.dots.Text)
	}
}

func TestLoginRefusesAWrongPIN(t *testing.T) {
	s, session, logged := loginScreen(t)
	test.Tap(nameButton(t, s, "Kari"))
	for _, r := range "1234" { // Ola's PIN, not Kari's
		test.Tap(s.keys[r])
	}
	test.Tap(s.login)
	if len(*logged) != 0 || !strings.Contains(s.message.Text, "Wrong PIN") {
		t.Fatalf("wrong PIN: logged %+v, message %q", *logged, s.message.Text)
	}
	if c, _ := session.Current(); c.Name != "Ola" {
		t.Errorf("a wrong PIN changed the cashier to %q", c.Name)
	}
	test.Tap(s.keys['C'])
	if s.message.Text != "" {
		t.Errorf("the error stays after typing again: %q", s.message.Text)
	}
}

func TestLoginTargetsAreBigEnoughForFingers(t *testing.T) {
	s, _, _ := loginScreen(t)
	targets := []*touchButton{s.login, nameButton(t, s, "Ola"), nameButton(t, s, "Kari")}
	for _, b := range s.keys {
		targets = append(targets, b)
	}
	for _, b := range targets {
		if sz := b.Size(); sz.Width < MinTouch || sz.Height < MinTouch {
			t.Errorf("button %q is %v, smaller than %d dp", b.Text, sz, MinTouch)
		}
	}
}

func TestANewTillCreatesItsManagerAtTheLoginScreen(t *testing.T) {
	test.NewTempApp(t)
	session := flow.NewCashierSession(&listCashiers{}, nil, nil)
	var logged []flow.Cashier
	s := NewLoginScreen(session, "nb", func(c flow.Cashier) { logged = append(logged, c) }, runNow)
	test.NewTempWindow(t, s)
	if s.first == nil || s.login.Text != "Opprett leder og logg inn" || !strings.Contains(s.who.Text, "leder") {
		t.Fatalf("new till: who %q, button %q", s.who.Text, s.login.Text)
	}
	for _, r := range "2468" {
		test.Tap(s.keys[r])
	}
	if !s.login.Disabled() {
		t.Error("a manager without a name can be created")
	}
	test.Type(s.first, "Ola Nordmann")
	test.Tap(s.login)
	if len(logged) != 1 || logged[0].Name != "Ola Nordmann" || logged[0].Role != flow.RoleManager {
		t.Fatalf("logged in: %+v", logged)
	}
	if s.first != nil || s.login.Text != "Logg inn" || len(s.names.Objects) != 1 {
		t.Errorf("after creating the manager the screen still offers to create one (button %q)", s.login.Text)
	}
}
