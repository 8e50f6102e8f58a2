package flow

import "fmt"

// GTINKey validates a GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14) and returns it
// zero-padded to 14 digits, the form the catalogue is keyed by, so the same
// item scanned as UPC-A or EAN-13 is found either way.
func GTINKey(code string) (string, error) {
	switch len(code) {
	case 8, 12, 13, 14:
	default:
		return "", fmt.Errorf("a GTIN has 8, 12, 13 or 14 digits, not %d", len(code))
	}
	sum := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return "", fmt.Errorf("a GTIN has only digits")
		}
		// Weights 3,1,3,… from the digit left of the check digit.
		d := int(c - '0')
		if i == len(code)-1 {
			continue
		}
		if (len(code)-1-i)%2 == 1 {
			sum += 3 * d
		} else {
			sum += d
		}
	}
	if want := (10 - sum%10) % 10; int(code[len(code)-1]-'0') != want {
		return "", fmt.Errorf("the check digit of %s should be %d", code, want)
	}
	return fmt.Sprintf("%014s", code), nil
}
