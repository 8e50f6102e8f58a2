package assets

import _ "embed"

// DemoCatalog is a demo catalogue of Norwegian groceries and everyday goods
// (valid EAN-13s, VAT 25/15/12/0 %), in the format of `kasse import-catalog`.
//
//go:embed catalog-demo.csv
var DemoCatalog []byte
