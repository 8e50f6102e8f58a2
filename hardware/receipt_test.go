package hardware

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kasse-pos/kasse/internal/golden"

	"golang.org/x/text/encoding/charmap"
)

func sampleReceipt() Receipt {
	oslo := time.FixedZone("CET", 3600)
	return Receipt{
		StoreName: "Demobutikken AS", StoreAddress: "Storgata 1, 0155 Oslo", OrgNumber: "999999999",
		POSID: "pos1", ReceiptNumber: "000042", Time: time.Date(2026, 11, 23, 21, 5, 0, 0, oslo),
		Currency: "NOK",
		Lines: []ReceiptLine{
			{Name: "Lettmelk 1 l", Quantity: 3, UnitPrice: 2190, Total: 6570, VATRate: 1500},
			{Name: "Grovbrød fra Bakeriet på hjørnet, skivet", Quantity: 1, UnitPrice: 4490, Total: 4490, VATRate: 1500},
			{Name: "Blåbærsyltetøy", Quantity: 2, UnitPrice: 3990, Discount: 1000, Total: 6980, VATRate: 1500},
			{Name: "Avis", Quantity: 1, UnitPrice: 4500, Total: 4500, VATRate: 0},
			{Name: "Oppvaskbørste", Quantity: 1, UnitPrice: 124900, Total: 124900, VATRate: 2500},
		},
		VAT: []VATRow{
			{Rate: 2500, Base: 99920, VAT: 24980, Total: 124900},
			{Rate: 1500, Base: 15687, VAT: 2353, Total: 18040},
			{Rate: 0, Base: 4500, VAT: 0, Total: 4500},
		},
		Total:         147440,
		MemberName:    "Kari",
		PaymentMethod: "Vipps",
		PaymentRef:    "kasse-pos1-000042",
		QR:            "https://kvittering.example.no/r/000042",
		Kind:          KindCopy,
	}
}

// TestReceiptGolden pins the exact bytes sent to the printer, and a readable
// rendering of them for review. Regenerate with: UPDATE_GOLDEN=1 go test ./hardware -run Golden
func TestReceiptGolden(t *testing.T) {
	got := encodeReceipt(sampleReceipt(), 42)
	checkGolden(t, "receipt.escpos", got)
	checkGolden(t, "receipt.txt", []byte(renderESCPOS(t, got)))
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func TestReceiptLayout(t *testing.T) {
	text := renderESCPOS(t, encodeReceipt(sampleReceipt(), 42))
	for _, want := range []string{
		"Org.nr. 999 999 999 MVA",
		"Salgskvittering",
		"KOPI",
		"Kvittering 000042               Kasse pos1",
		"23.11.2026 21:05",
		"Lettmelk 1 l                         65,70",
		"Grovbrød fra Bakeriet på hjørnet,\nskivet                               44,90",
		"  3 x 21,90",
		"  Rabatt -10,00",
		"Oppvaskbørste                     1 249,00",
		"TOTALT NOK                        1 474,40",
		"25 %         999,20     249,80   1 249,00",
		"0 %           45,00       0,00      45,00",
		"Betalt med Vipps",
		"Transaksjons-ID: kasse-pos1-000042",
		"Medlem: Kari",
		"[QR https://kvittering.example.no/r/000042]",
		"[cut]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
	for i, line := range strings.Split(text, "\n") {
		if n := len([]rune(stripMarkers(line))); n > 42 {
			t.Errorf("line %d is %d characters, wider than the paper: %q", i, n, line)
		}
	}
}

func TestReceiptKeepsShopDataFromBecomingPrinterCommands(t *testing.T) {
	r := sampleReceipt()
	r.Lines[0].Name = "Evil\x1bi\x1dVcut"
	b := encodeReceipt(r, 42)
	if bytes.Contains(b, []byte("Evil\x1b")) || bytes.Contains(b, []byte("\x1dVcut")) {
		t.Fatal("control characters from a product name reached the printer")
	}
}

func TestReturnReceiptAndOddVATRates(t *testing.T) {
	r := sampleReceipt()
	r.Kind = KindReturn
	r.Lines = []ReceiptLine{{Name: "Kahvi", Quantity: -1, UnitPrice: 599, Total: -599, VATRate: 1400}}
	r.VAT = []VATRow{{Rate: 2550, Base: -100, VAT: -26, Total: -126}, {Rate: 1350, Base: -525, VAT: -74, Total: -599}}
	r.Total, r.Currency = -599, "EUR"
	text := renderESCPOS(t, encodeReceipt(r, 42))
	for _, want := range []string{"Returkvittering", "  -1 x 5,99", "TOTALT EUR", "-5,99", "25,5 %", "13,5 %"} {
		if !strings.Contains(text, want) {
			t.Errorf("return receipt lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "KOPI") || strings.Contains(text, "Salgskvittering") {
		t.Error("a return receipt is marked as a copy or a sales receipt")
	}
}

// sizedLine is a printed line and the character size it is printed in
// (GS ! multipliers).
type sizedLine struct {
	text string
	w, h int
}

func printedSizes(t *testing.T, b []byte) []sizedLine {
	t.Helper()
	marker := regexp.MustCompile(`\[[^\]]*\]`)
	w, h := 1, 1
	var out []sizedLine
	for _, line := range strings.Split(renderESCPOS(t, b), "\n") {
		for _, m := range marker.FindAllString(line, -1) {
			var sz int
			if _, err := fmt.Sscanf(m, "[size %x]", &sz); err == nil {
				w, h = sz>>4+1, sz&0xf+1
			}
		}
		if text := strings.TrimSpace(marker.ReplaceAllString(line, "")); text != "" {
			out = append(out, sizedLine{text, w, h})
		}
	}
	return out
}

var amountPattern = regexp.MustCompile(`-?[0-9][0-9 ]*,[0-9]{2}`)

// TestMarksAreLargerThanTheAmounts: a copy says KOPI, and provisional,
// training and delivery receipts say IKKJE KVITTERING FOR KJØP, each in type
// at least 50 % larger (in width and height) than every amount on it.
func TestMarksAreLargerThanTheAmounts(t *testing.T) {
	for kind, mark := range map[ReceiptKind]string{
		KindCopy: "KOPI", KindProvisional: "IKKJE KVITTERING FOR KJØP", KindTraining: "IKKJE KVITTERING FOR KJØP", KindDelivery: "IKKJE KVITTERING FOR KJØP",
	} {
		r := sampleReceipt()
		r.Kind = kind
		lines := printedSizes(t, encodeReceipt(r, 42))
		var markW, markH, amountW, amountH int
		var marked []string
		for _, l := range lines {
			if strings.Contains(mark, l.text) && (l.text == mark || len(l.text) > 4) {
				marked = append(marked, l.text)
				markW, markH = max(markW, l.w), max(markH, l.h)
			}
			if amountPattern.MatchString(l.text) {
				amountW, amountH = max(amountW, l.w), max(amountH, l.h)
			}
		}
		if got := strings.Join(marked, " "); !strings.Contains(got, mark) {
			t.Errorf("%s: mark %q not printed (found %q)", kind, mark, got)
		}
		if 2*markW < 3*amountW || 2*markH < 3*amountH {
			t.Errorf("%s: mark is %dx%d, amounts up to %dx%d: not 50 %% larger", kind, markW, markH, amountW, amountH)
		}
		for _, l := range lines {
			if utf8.RuneCountInString(l.text)*l.w > 42 {
				t.Errorf("%s: %q in %dx width does not fit 42 columns", kind, l.text, l.w)
			}
		}
	}
	// A sales receipt carries neither mark.
	r := sampleReceipt()
	r.Kind = KindSale
	text := renderESCPOS(t, encodeReceipt(r, 42))
	if strings.Contains(text, "KOPI") || strings.Contains(text, "IKKJE") || !strings.Contains(text, "Salgskvittering") {
		t.Errorf("sales receipt:\n%s", text)
	}
	for kind, heading := range map[ReceiptKind]string{KindProvisional: "Foreløpig kvittering", KindTraining: "Treningskvittering", KindDelivery: "Utleveringskvittering"} {
		r.Kind = kind
		if text := renderESCPOS(t, encodeReceipt(r, 42)); !strings.Contains(text, heading) || strings.Contains(text, "Salgskvittering") {
			t.Errorf("%s receipt lacks its heading %q:\n%s", kind, heading, text)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for v, want := range map[int64]string{0: "0,00", 5: "0,05", 2190: "21,90", 123456789: "1 234 567,89", -990: "-9,90"} {
		if got := formatMoney(v, ',', ' '); got != want {
			t.Errorf("formatMoney(%d) = %q, want %q", v, got, want)
		}
	}
}

// renderESCPOS turns the byte stream back into text, showing commands as
// [markers]. It understands exactly the commands the encoder uses and fails
// on anything else, so it also checks the commands' lengths are right.
func renderESCPOS(t *testing.T, b []byte) string {
	t.Helper()
	var out strings.Builder
	dec := charmap.CodePage865.NewDecoder()
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0x1b && i+1 < len(b):
			switch b[i+1] {
			case '@':
				out.WriteString("[init]")
				i += 2
			case 't':
				fmt.Fprintf(&out, "[codepage %d]", b[i+2])
				i += 3
			case 'a':
				out.WriteString([]string{"[left]", "[center]", "[right]"}[b[i+2]])
				i += 3
			case 'E':
				out.WriteString(map[byte]string{0: "[/bold]", 1: "[bold]"}[b[i+2]])
				i += 3
			case 'p':
				fmt.Fprintf(&out, "[drawer pin %d]", b[i+2])
				i += 5
			default:
				t.Fatalf("unknown ESC %q at %d", b[i+1], i)
			}
		case c == 0x1d && i+1 < len(b):
			switch b[i+1] {
			case '!':
				fmt.Fprintf(&out, "[size %02x]", b[i+2])
				i += 3
			case 'V':
				out.WriteString("[cut]")
				i += 4
			case '(':
				n := int(b[i+3]) | int(b[i+4])<<8
				body := b[i+5 : i+5+n]
				if body[0] == 49 && body[1] == 80 {
					fmt.Fprintf(&out, "[QR %s]", body[3:])
				}
				i += 5 + n
			default:
				t.Fatalf("unknown GS %q at %d", b[i+1], i)
			}
		case c < 0x20 && c != '\n':
			t.Fatalf("stray control byte %#x at %d", c, i)
		default:
			j := i
			for j < len(b) && b[j] != 0x1b && b[j] != 0x1d && (b[j] >= 0x20 || b[j] == '\n') {
				j++
			}
			s, err := dec.Bytes(b[i:j])
			if err != nil {
				t.Fatal(err)
			}
			out.Write(s)
			i = j
		}
	}
	return out.String()
}

func stripMarkers(line string) string {
	for {
		i := strings.Index(line, "[")
		j := strings.Index(line, "]")
		if i < 0 || j < i {
			return line
		}
		line = line[:i] + line[j+1:]
	}
}

func TestLongNamesWrapInsteadOfLosingText(t *testing.T) {
	r := sampleReceipt()
	r.Lines = []ReceiptLine{
		{Name: "Supercalifragilisticexpialidocious-sjokoladekake med krem", Quantity: 1, Total: 9900},
		{Name: "Brus", Quantity: 1, Total: 2500},
	}
	text := renderESCPOS(t, encodeReceipt(r, 32))
	for _, want := range []string{"Supercalifragilisticexpialidocio\nus-sjokoladekake med krem  99,00\n", "Brus                       25,00\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
}

// FuzzReceiptLines: whatever the product names, the receipt keeps every
// word of them, stays within the paper width and decodes cleanly.
func FuzzReceiptLines(f *testing.F) {
	f.Add("Grovbrød fra Bakeriet på hjørnet, skivet", int64(4490), 42)
	f.Add("aaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", int64(-123456789), 32)
	f.Add("Gull", int64(-9223372036854775808), 24)
	f.Fuzz(func(t *testing.T, name string, amount int64, width int) {
		if width < 24 || width > 64 {
			return
		}
		r := Receipt{Lines: []ReceiptLine{{Name: name, Quantity: 1, Total: amount}}}
		text := renderESCPOS(t, encodeReceipt(r, width))
		for i, line := range strings.Split(text, "\n") {
			if n := len([]rune(stripMarkers(line))); n > width {
				t.Fatalf("line %d is %d wide on %d-column paper: %q", i, n, width, line)
			}
		}
		// An amount wider than the paper (trillions) is cut, not lost in a panic.
		if m := formatMoney(amount, ',', ' '); len(m) < width && !strings.Contains(text, m) {
			t.Fatalf("amount missing:\n%s", text)
		}
	})
}
