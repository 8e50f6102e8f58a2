package flow_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

// Wrong PINs are counted in the database: a restart, a second process or
// the command line does not start the count again (the CLI used to accept
// the right PIN after twelve wrong ones, and a restart cleared the lockout).
func TestPINLockoutHoldsAcrossSessionsAndRestarts(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			ctx := context.Background()
			hash, err := flow.HashPINWithCost("4711", 1)
			if err != nil {
				t.Fatal(err)
			}
			m := flow.Cashier{Name: "Mona", Role: flow.RoleManager, PINHash: hash, Active: true}
			if err := db.SaveCashier(ctx, &m); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			session := func() *flow.CashierSession {
				s := flow.NewCashierSession(db, nil, func() time.Time { return now })
				s.Lockout = db
				return s
			}
			till := session()
			for i := range 5 {
				if _, err := till.Identify(ctx, m.ID, "0000"); !errors.Is(err, flow.ErrWrongPIN) {
					t.Fatalf("wrong PIN %d: %v", i+1, err)
				}
			}
			cli := session() // another process on the same database
			if _, err := cli.Identify(ctx, m.ID, "4711"); !errors.Is(err, flow.ErrCashierLocked) {
				t.Fatalf("the right PIN right after five wrong ones elsewhere: %v, want locked", err)
			}
			now = now.Add(31 * time.Second)
			if _, err := session().Identify(ctx, m.ID, "4711"); err != nil {
				t.Fatalf("after the lockout: %v", err)
			}
			if _, err := till.Identify(ctx, m.ID, "0000"); !errors.Is(err, flow.ErrWrongPIN) {
				t.Fatalf("a success ends the count: %v", err)
			}
			if _, err := session().Identify(ctx, m.ID, "4711"); err != nil {
				t.Fatalf("one wrong PIN after a success locks nothing: %v", err)
			}
		})
	}
}
