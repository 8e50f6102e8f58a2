package hardware

import (
	"regexp"
	"strings"
	"unicode"
)

// Layout is the keyboard layout the till's operating system uses. A
// keyboard-wedge scanner does not send characters: it sends USB HID key
// codes for the characters as they sit on a US keyboard, and the computer
// turns those keys into characters with its own layout. Letters, digits,
// space, '.', ',' and '!' '#' '%' sit on the same keys in the US and Nordic
// layouts, so EAN/UPC barcodes survive, but most punctuation does not:
//
//	US char  key (HID usage)     nb (Norwegian)  da (Danish)  fi (Finnish/Swedish)
//	:        Shift+Semicolon 33  Ø               Æ            Ö
//	;        Semicolon 33        ø               æ            ö
//	/        Slash 38            -               -            -
//	?        Shift+Slash 38      _               _            _
//	=        Equal 2E            \               ´ (dead)     ´ (dead)
//	+        Shift+Equal 2E      ` (dead)        ` (dead)     ` (dead)
//	-        Minus 2D            +               +            +
//	_        Shift+Minus 2D      ?               ?            ?
//	&        Shift+7             /               /            /
//	*        Shift+8             (               (            (
//	(        Shift+9             )               )            )
//	)        Shift+0             =               =            =
//	@        Shift+2             "               "            "
//	$        Shift+4             ¤               ¤            ¤
//	^        Shift+6             &               &            &
//	'        Apostrophe 34       æ               ø            ä
//	"        Shift+Apostrophe 34 Æ               Ø            Ä
//	[        LeftBracket 2F      å               å            å
//	{        Shift+LeftBracket   Å               Å            Å
//	]        RightBracket 30     ¨ (dead)        ¨ (dead)     ¨ (dead)
//	}        Shift+RightBracket  ^ (dead)        ^ (dead)     ^ (dead)
//	\        Backslash 31        '               '            '
//	|        Shift+Backslash 31  *               *            *
//	`        Grave 35            |               ½            §
//	~        Shift+Grave 35      §               §            ½
//	<        Shift+Comma 36      ;               ;            ;
//	>        Shift+Period 37     :               :            :
//
// (Checked against the X11 keymaps xkb/symbols/no, dk, fi(kotoistus) and
// latin(type2); the Windows layouts agree on these keys.)
//
// So https://qr.vipps.no/28/2/01/031/4791234567?v=1 typed by a US-programmed
// scanner into a Norwegian till reads httpsØ--qr.vipps.no-28-2-01-031-4791234567_v\1.
// On da and fi the '=' is a dead key: depending on the input method the
// till then gets "´1", "1" or nothing for "=1". A dead key followed by a
// character it cannot combine with is all we rely on; we never try to guess
// composed characters.
type Layout string

const (
	LayoutUS Layout = "us"
	LayoutNO Layout = "nb"
	LayoutDA Layout = "da"
	LayoutFI Layout = "fi"
)

// nordicFromUS maps each US character to what a Nordic layout produces for
// the same key; only entries that differ are listed. Transcribed from the
// table above.
var nordicFromUS = map[Layout]map[rune]rune{
	LayoutNO: nordic('Ø', 'ø', 'æ', 'Æ', '\\', '|', '§'),
	LayoutDA: nordic('Æ', 'æ', 'ø', 'Ø', '´', '½', '§'),
	LayoutFI: nordic('Ö', 'ö', 'ä', 'Ä', '´', '§', '½'),
}

func nordic(colon, semicolon, apostrophe, quote, equal, grave, tilde rune) map[rune]rune {
	return map[rune]rune{
		':': colon, ';': semicolon, '\'': apostrophe, '"': quote, '=': equal,
		'`': grave, '~': tilde,
		'/': '-', '?': '_', '+': '`', '-': '+', '_': '?',
		'&': '/', '*': '(', '(': ')', ')': '=', '@': '"', '$': '¤', '^': '&',
		'[': 'å', '{': 'Å', ']': '¨', '}': '^', '\\': '\'', '|': '*',
		'<': ';', '>': ':',
	}
}

// usFromNordic inverts nordicFromUS. Each Nordic table is one-to-one, so
// the inverse is exact.
var usFromNordic = func() map[Layout]map[rune]rune {
	inv := make(map[Layout]map[rune]rune)
	for l, m := range nordicFromUS {
		inv[l] = make(map[rune]rune, len(m))
		for us, n := range m {
			inv[l][n] = us
		}
	}
	return inv
}()

// TypeOnLayout is what a US-programmed wedge scanner's text s becomes on a
// till using layout l (with Caps Lock on if caps); for tests and for the
// setup screen's "scan this to check your scanner" hint.
func TypeOnLayout(s string, l Layout, caps bool) string {
	m := nordicFromUS[l]
	return strings.Map(func(r rune) rune {
		if n, ok := m[r]; ok {
			r = n
		}
		if caps {
			r = swapCase(r)
		}
		return r
	}, s)
}

// UntypeFromLayout undoes TypeOnLayout.
func UntypeFromLayout(s string, l Layout, caps bool) string {
	m := usFromNordic[l]
	return strings.Map(func(r rune) rune {
		if caps {
			r = swapCase(r)
		}
		if us, ok := m[r]; ok {
			r = us
		}
		return r
	}, s)
}

// swapCase mimics Caps Lock: it flips letters only; on Nordic layouts the
// æ/ø/å/ä/ö keys are letters too.
func swapCase(r rune) rune {
	switch {
	case unicode.IsUpper(r):
		return unicode.ToLower(r)
	case unicode.IsLower(r):
		return unicode.ToUpper(r)
	}
	return r
}

// legacyAfterDeadKey repairs the tail of a legacy Vipps QR whose "=" went
// into a dead key and was swallowed ("?v1" or "?v").
var legacyAfterDeadKey = regexp.MustCompile(`^((?i:https://qr\.vipps\.no)/28/2/01/031/[0-9]{8,15})\?v´?1?$`)

// garbledURL spots a web address that went through the wrong layout: the
// "://" became a Nordic letter and two dashes.
var garbledURL = regexp.MustCompile(`(?i)^https?[ØÆÖøæö][-+][-+]|(?i)(vipps\.no|mobilepay\.(dk|fi|no))-`)

// classifyTyped classifies text from a keyboard wedge, undoing a Nordic
// layout (and Caps Lock) when that turns it into a code we know. layout ""
// tries all of them.
func classifyTyped(raw string, layout Layout) Scan {
	s := Classify(raw)
	if s.Kind != ScanUnknown || strings.TrimSpace(raw) == "" {
		return s
	}
	layouts := []Layout{LayoutUS, LayoutNO, LayoutDA, LayoutFI}
	if layout != "" {
		layouts = []Layout{layout}
	}
	for _, l := range layouts {
		for _, caps := range []bool{false, true} {
			text := UntypeFromLayout(strings.TrimSpace(raw), l, caps)
			if m := legacyAfterDeadKey.FindStringSubmatch(text); m != nil {
				text = m[1] + "?v=1"
			}
			if c := Classify(text); c.Kind != ScanUnknown {
				c.Raw = raw
				return c
			}
		}
	}
	if garbledURL.MatchString(raw) {
		s.Problem = "a QR code garbled by the keyboard layout (the scanner types US keys into a Nordic keyboard layout): " +
			shown(maskDigits(raw)) + " - set the scanner to the till's keyboard language or connect it as a serial device"
	}
	return s
}

// maskDigits hides long digit runs (phone numbers in a legacy Vipps QR),
// keeping the last two digits so the cashier can still compare.
func maskDigits(s string) string {
	var b strings.Builder
	run := 0
	flush := func(digits string) {
		if len(digits) >= 5 {
			digits = strings.Repeat("*", len(digits)-2) + digits[len(digits)-2:]
		}
		b.WriteString(digits)
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > 0 {
			flush(s[start:i])
			run = 0
		}
		if i < len(s) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
