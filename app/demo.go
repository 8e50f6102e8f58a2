package app

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/assets"
	"github.com/kasse-pos/kasse/flow"
)

// The demo till's manager, so a person can log in at once (see README).
const (
	DemoManager    = "Demo Manager"
	DemoManagerPIN = "1234"
)

// ensureDemoCashier gives a demo till with no cashiers its demo manager.
func ensureDemoCashier(ctx context.Context, s *flow.CashierSession) error {
	all, err := s.Cashiers(ctx)
	if err != nil || len(all) > 0 {
		return err
	}
	_, err = s.AddCashier(ctx, DemoManager, flow.RoleManager, DemoManagerPIN)
	return err
}

// loadDemoCatalog fills an empty catalogue with the demo products, so a
// demo till has something to sell; a catalogue the store imported stays.
func loadDemoCatalog(ctx context.Context, db *store.DB) error {
	some, err := db.SearchProducts(ctx, "", 1)
	if err != nil {
		return fmt.Errorf("reading the catalogue: %w", err)
	}
	if len(some) > 0 {
		return nil
	}
	if _, err := db.ImportCatalogCSV(ctx, bytes.NewReader(assets.DemoCatalog)); err != nil {
		return fmt.Errorf("loading the demo catalogue: %w", err)
	}
	return nil
}
