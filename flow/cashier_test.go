package flow

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

type memCashiers struct {
	mu   sync.Mutex
	list []Cashier
}

func (m *memCashiers) Cashiers(context.Context) ([]Cashier, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.list), nil
}

func (m *memCashiers) CashierByID(_ context.Context, id int64) (Cashier, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.list {
		if c.ID == id {
			return c, nil
		}
	}
	return Cashier{}, ErrNoRecord
}

func (m *memCashiers) SaveCashier(_ context.Context, c *Cashier) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.ID == 0 {
		c.ID = int64(len(m.list) + 1)
		m.list = append(m.list, *c)
		return nil
	}
	for i := range m.list {
		if m.list[i].ID == c.ID {
			m.list[i] = *c
		}
	}
	return nil
}

type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { return c.t }

// newShop has manager Ola (PIN 1234) and cashier Kari (PIN 5678), with
// PIN hashes cheap enough for many logins.
func newShop(t *testing.T) (*CashierSession, *MemoryJournal, *stepClock) {
	t.Helper()
	clk := &stepClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mj := NewMemoryJournal()
	j := NewElectronicJournal(mj, "pos1", time.UTC, clk.Now)
	store := &memCashiers{}
	for _, c := range []struct {
		name, pin string
		role      Role
	}{{"Ola", "1234", RoleManager}, {"Kari", "5678", RoleCashier}} {
		h, err := HashPINWithCost(c.pin, 1000)
		if err != nil {
			t.Fatal(err)
		}
		store.SaveCashier(context.Background(), &Cashier{Name: c.name, Role: c.role, PINHash: h, Active: true})
	}
	return NewCashierSession(store, j, clk.Now), mj, clk
}

func TestTheFirstCashierIsAManagerWhoAddsTheOthers(t *testing.T) {
	ctx := context.Background()
	s := NewCashierSession(&memCashiers{}, nil, nil)
	ola, err := s.AddCashier(ctx, "Ola", RoleCashier, "1234")
	if err != nil || ola.Role != RoleManager || ola.PINHash != "" {
		t.Fatalf("first cashier: %+v, %v", ola, err)
	}
	if _, err := s.AddCashier(ctx, "Kari", RoleCashier, "5678"); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("second cashier with nobody logged in: %v", err)
	}
	if _, err := s.Login(ctx, ola.ID, "1234"); err != nil {
		t.Fatal(err)
	}
	if kari, err := s.AddCashier(ctx, " Kari ", RoleCashier, "5678"); err != nil || kari.Name != "Kari" || kari.Role != RoleCashier {
		t.Fatalf("Kari: %+v, %v", kari, err)
	}
}

func TestPINHashIsSaltedAndChecked(t *testing.T) {
	a, err := HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := HashPIN("2468")
	if a == b {
		t.Error("two hashes of the same PIN are equal: no salt")
	}
	if !CheckPIN(a, "2468") || CheckPIN(a, "2469") || CheckPIN(a, "") || CheckPIN("garbage", "2468") {
		t.Error("CheckPIN accepts the wrong PIN or rejects the right one")
	}
	for _, bad := range []string{"123", "123456789", "12a4", ""} {
		if _, err := HashPIN(bad); !errors.Is(err, ErrBadPIN) {
			t.Errorf("HashPIN(%q) = %v, want ErrBadPIN", bad, err)
		}
	}
}

func TestLoginSwitchAndJournal(t *testing.T) {
	s, mj, _ := newShop(t)
	ctx := context.Background()
	if _, err := s.Login(ctx, 2, "0000"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if _, ok := s.Current(); ok {
		t.Fatal("a wrong PIN logged someone in")
	}
	kari, err := s.Login(ctx, 2, "5678")
	if err != nil || kari.Name != "Kari" || kari.PINHash != "" {
		t.Fatalf("Kari: %+v, %v", kari, err)
	}
	if err := s.Require(PermRefund); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a cashier may refund: %v", err)
	}
	if _, err := s.AddCashier(ctx, "Per", RoleManager, "1111"); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a cashier added a manager: %v", err)
	}
	// A manager approves one refund without taking over the till.
	if _, err := s.Approve(ctx, 1, "1234", PermRefund); err != nil {
		t.Errorf("manager approval: %v", err)
	}
	if _, err := s.Approve(ctx, 2, "5678", PermRefund); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a cashier approved a refund: %v", err)
	}
	if c, _ := s.Current(); c.Name != "Kari" {
		t.Errorf("approval switched the cashier to %q", c.Name)
	}
	// Quick switch to Ola: Kari is logged out first.
	if _, err := s.Login(ctx, 1, "1234"); err != nil {
		t.Fatal(err)
	}
	if err := s.Require(PermZReport); err != nil {
		t.Errorf("manager may not take a Z report: %v", err)
	}
	recs, _ := mj.JournalRecords(ctx, JournalQuery{TillID: "pos1", Events: []JournalEvent{JournalLogin, JournalLogout}})
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Event)+" "+r.CashierName)
	}
	want := []string{"login Kari", "logout Kari", "login Ola"}
	if !slices.Equal(got, want) {
		t.Errorf("journal = %q, want %q", got, want)
	}
}

func TestPINLockoutUsesTheClock(t *testing.T) {
	s, _, clk := newShop(t)
	ctx := context.Background()
	for i := range maxPINFailures {
		if _, err := s.Login(ctx, 2, "9999"); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := s.Login(ctx, 2, "5678"); !errors.Is(err, ErrCashierLocked) {
		t.Fatalf("right PIN during lockout: %v", err)
	}
	// Other cashiers are not locked out by Kari's failures.
	if _, err := s.Login(ctx, 1, "1234"); err != nil {
		t.Fatalf("Ola during Kari's lockout: %v", err)
	}
	clk.t = clk.t.Add(pinLockout)
	if _, err := s.Login(ctx, 2, "5678"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

// BenchmarkCheckPIN is what a login costs: the PIN hash is slow on purpose.
func BenchmarkCheckPIN(b *testing.B) {
	h, err := HashPIN("2468")
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		if !CheckPIN(h, "2468") {
			b.Fatal("PIN rejected")
		}
	}
}
