package store_test

import (
	"testing"

	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow/flowtest"
)

// TestStoreContract runs the suite the in-memory store passes too, so the
// checkout behaves the same on memory, SQLite and PostgreSQL.
func TestStoreContract(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			flowtest.StoreContract(t, func(t *testing.T) flowtest.ContractStore { return b.Open(t) })
		})
	}
}
