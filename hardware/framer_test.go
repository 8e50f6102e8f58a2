package hardware

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func newTestFramer(suffix string) *framer {
	sfx, err := ParseSuffix(suffix)
	if err != nil {
		panic(err)
	}
	return &framer{suffix: sfx, maxLen: 32, frameTimeout: 100 * time.Millisecond}
}

// describe renders frames as one line each for comparison.
func describe(frames []frame) string {
	var b strings.Builder
	for _, f := range frames {
		switch {
		case f.reason != "":
			fmt.Fprintf(&b, "discard %q: %s\n", f.junk, f.reason)
		case f.damaged:
			fmt.Fprintf(&b, "damaged %q\n", f.text)
		default:
			fmt.Fprintf(&b, "code %q\n", f.text)
		}
	}
	return b.String()
}

func TestFramerCutsCodesWhateverThePiecesTheyArriveIn(t *testing.T) {
	tests := []struct {
		suffix, stream, want string
	}{
		{"CR", "7038010055683\r96385074\r", "code \"7038010055683\"\ncode \"96385074\"\n"},
		{"LF", "7038010055683\n", "code \"7038010055683\"\n"},
		{"CRLF", "7038010055683\r\n96385074\r\n", "code \"7038010055683\"\ncode \"96385074\"\n"},
		{"", "a1\rb2\nc3\r\n\r\n", "code \"a1\"\ncode \"b2\"\ncode \"c3\"\n"},
		{"ETX", "\x02abc\x03", "discard \"\\x02\": line noise\ncode \"abc\"\n"},
		{`#END`, "x#y#END", "code \"x#y\"\n"},
		{"CR", "\x00\x00\xffhttps://qr.vipps.no/p/abc\r", "discard \"\\x00\\x00\\xff\": line noise\ncode \"https://qr.vipps.no/p/abc\"\n"},
		{"CR", "70380\x0010055683\r", "damaged \"70380\\x0010055683\"\n"},
		{"CRLF", "abc\rdef\r\n", "damaged \"abc\\rdef\"\n"},
		{"CR", strings.Repeat("9", 40) + "\rok\r", "discard \"" + strings.Repeat("9", 34) + "\": a code longer than 32 bytes\ncode \"ok\"\n"},
		{"CR", "blåbær\r", "code \"blåbær\"\n"},
	}
	for _, tt := range tests {
		// Every way of splitting the stream in two, plus one byte at a time.
		for cut := 0; cut <= len(tt.stream); cut++ {
			f := newTestFramer(tt.suffix)
			got := describe(append(f.feed([]byte(tt.stream[:cut]), t0), f.feed([]byte(tt.stream[cut:]), t0)...))
			if got != tt.want {
				t.Fatalf("suffix %q, stream %q split at %d:\n got %s\nwant %s", tt.suffix, tt.stream, cut, got, tt.want)
			}
		}
		f := newTestFramer(tt.suffix)
		var frames []frame
		for i := range len(tt.stream) {
			frames = append(frames, f.feed([]byte{tt.stream[i]}, t0.Add(time.Duration(i)*time.Millisecond))...)
		}
		if got := describe(frames); got != tt.want {
			t.Fatalf("suffix %q, stream %q byte by byte:\n got %s\nwant %s", tt.suffix, tt.stream, got, tt.want)
		}
	}
}

func TestFramerDropsACodeThatStopsHalfway(t *testing.T) {
	f := newTestFramer("CR")
	if out := f.feed([]byte("70380"), t0); len(out) != 0 {
		t.Fatalf("early frames %v", describe(out))
	}
	if out := f.tick(t0.Add(99 * time.Millisecond)); len(out) != 0 {
		t.Fatal("gave up on a code still within its frame timeout")
	}
	got := describe(f.feed([]byte("96385074\r"), t0.Add(150*time.Millisecond)))
	want := "discard \"70380\": an unfinished code (no terminator within 100ms)\ncode \"96385074\"\n"
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestParseSuffixRejectsNonsense(t *testing.T) {
	if _, err := ParseSuffix(`\q`); err == nil {
		t.Fatal("an unreadable suffix must be a configuration error")
	}
}
