package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kasse-pos/kasse/flow"
)

// formatMoney writes minor units the way the shop's country does:
// "kr 1 249,00" (NOK), "1 249,00 kr." (DKK), "1 249,00 €" (EUR).
func formatMoney(m flow.Money, currency string) string {
	neg := m < 0
	if neg {
		m = -m
	}
	whole := groupThousands(strconv.FormatInt(int64(m/100), 10))
	s := fmt.Sprintf("%s,%02d", whole, int64(m%100))
	if neg {
		s = "−" + s
	}
	switch currency {
	case "DKK":
		return s + " kr."
	case "EUR":
		return s + " €"
	case "NOK", "":
		return "kr " + s
	}
	return s + " " + currency
}

func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString("\u00a0")
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
