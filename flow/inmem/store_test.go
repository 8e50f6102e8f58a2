package inmem_test

import (
	"testing"

	"github.com/kasse-pos/kasse/flow/flowtest"
	"github.com/kasse-pos/kasse/flow/inmem"
)

func TestStoreContract(t *testing.T) {
	flowtest.StoreContract(t, func(t *testing.T) flowtest.ContractStore { return inmem.New(nil) })
}
