package msisdn

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"4791234567": "+47 ••• •• 567", "4512345678": "+45 ••• •• 678",
		"358401234567": "+358 ••• •• 567", "299123456": "+299 ••• •• 456", "123": "•••", "": "•••"} {
		if got := Mask(in); got != want || (len(in) > 6 && strings.Contains(got, in[3:len(in)-3])) {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
