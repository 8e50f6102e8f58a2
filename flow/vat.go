package flow

// VATRates are the Norwegian rates a product may carry, in percent.
var VATRates = []int{25, 15, 12, 0}

// ValidVATRate reports whether rate is one of VATRates.
func ValidVATRate(rate int) bool {
	for _, r := range VATRates {
		if r == rate {
			return true
		}
	}
	return false
}

// VATOf returns the VAT contained in a gross amount at rate percent:
// gross × rate/(100+rate), rounded half up to the øre. It is computed per
// line, so a receipt line always satisfies gross − net == VAT exactly.
func VATOf(gross Money, rate int) Money {
	if rate <= 0 || gross == 0 {
		return 0
	}
	neg := gross < 0
	if neg {
		gross = -gross
	}
	d := int64(100 + rate)
	v := Money((int64(gross)*int64(rate)*2 + d) / (2 * d))
	if neg {
		return -v
	}
	return v
}
