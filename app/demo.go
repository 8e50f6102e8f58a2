package app

import (
	"context"

	"github.com/kasse-pos/kasse/app/store"
)

// loadDemoCatalog fills an empty catalogue with the demo products.
func loadDemoCatalog(ctx context.Context, db *store.DB) error {
	_, _ = ctx, db
	return nil // the demo catalogue lands with catalogue import
}
