package hardware

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseSuffix turns the configured frame terminator into bytes: "" (auto:
// CR, LF or CRLF all end a code), "CR", "LF", "CRLF", "TAB", "ETX", or a
// literal that may use Go escapes such as `\x03`.
func ParseSuffix(s string) ([]byte, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "AUTO":
		return nil, nil
	case "CR":
		return []byte("\r"), nil
	case "LF":
		return []byte("\n"), nil
	case "CRLF":
		return []byte("\r\n"), nil
	case "TAB":
		return []byte("\t"), nil
	case "ETX":
		return []byte{0x03}, nil
	}
	if u, err := strconv.Unquote(`"` + s + `"`); err == nil && u != "" {
		return []byte(u), nil
	}
	return nil, fmt.Errorf("scanner suffix %q: want CR, LF, CRLF, TAB, ETX or a literal terminator", s)
}

// frame is one thing the framer cut from the byte stream: a code (possibly
// damaged), or bytes thrown away with the reason.
type frame struct {
	text    string
	damaged bool
	junk    []byte
	reason  string
}

// framer cuts a scanner's byte stream into codes. It copes with codes
// arriving in any number of pieces, line noise before a code (a scanner
// being plugged in), codes that never end (FrameTimeout) or never stop
// (MaxLength).
type framer struct {
	suffix       []byte // nil: CR or LF
	maxLen       int
	frameTimeout time.Duration

	buf          []byte
	last         time.Time
	overflow     int    // bytes dropped from the current over-long frame
	overflowHead []byte // its start, for the report
}

func (f *framer) feed(p []byte, now time.Time) []frame {
	out := f.tick(now)
	for _, c := range p {
		f.buf = append(f.buf, c)
		if text, ok := f.cut(); ok {
			out = append(out, f.finish(text)...)
			continue
		}
		if f.overflow > 0 || len(f.buf) > f.maxLen+len(f.suffix) {
			// Keep only enough to recognise the terminator when it comes.
			keep := len(f.suffix)
			if f.overflow == 0 {
				f.overflowHead = head(f.buf)
			}
			f.overflow += len(f.buf) - keep
			f.buf = append(f.buf[:0], f.buf[len(f.buf)-keep:]...)
		}
	}
	f.last = now
	return out
}

// cut reports whether buf now ends with the terminator, and the code before it.
func (f *framer) cut() ([]byte, bool) {
	if f.suffix == nil {
		c := f.buf[len(f.buf)-1]
		if c == '\r' || c == '\n' {
			return f.buf[:len(f.buf)-1], true
		}
		return nil, false
	}
	if bytes.HasSuffix(f.buf, f.suffix) {
		return f.buf[:len(f.buf)-len(f.suffix)], true
	}
	return nil, false
}

func (f *framer) finish(text []byte) []frame {
	defer func() { f.buf, f.overflow = f.buf[:0], 0 }()
	if f.overflow > 0 {
		return []frame{{junk: f.overflowHead, reason: fmt.Sprintf("a code longer than %d bytes", f.maxLen)}}
	}
	var out []frame
	start := 0
	for start < len(text) && !printableAt(text, start) {
		start++
	}
	if start > 0 {
		out = append(out, frame{junk: bytes.Clone(text[:start]), reason: "line noise"})
	}
	text = text[start:]
	if len(text) == 0 {
		return out // an empty line, or the LF of a CRLF in auto mode
	}
	damaged := false
	for i := 0; i < len(text); {
		if !printableAt(text, i) {
			damaged = true
			break
		}
		_, n := utf8.DecodeRune(text[i:])
		i += n
	}
	return append(out, frame{text: string(text), damaged: damaged})
}

// tick gives up on a code that stopped arriving before its terminator.
func (f *framer) tick(now time.Time) []frame {
	if len(f.buf) == 0 && f.overflow == 0 || now.Sub(f.last) < f.frameTimeout {
		return nil
	}
	junk := head(f.buf)
	reason := fmt.Sprintf("an unfinished code (no terminator within %v)", f.frameTimeout)
	if f.overflow > 0 {
		junk, reason = f.overflowHead, fmt.Sprintf("a code longer than %d bytes", f.maxLen)
	}
	f.buf, f.overflow = f.buf[:0], 0
	return []frame{{junk: junk, reason: reason}}
}

// pending is the unfinished code, for reporting a scanner that went away.
func (f *framer) pending() []byte { return head(f.buf) }

// printableAt: a printable character starts at text[i] (ASCII or valid
// UTF-8; QR codes may carry either).
func printableAt(text []byte, i int) bool {
	r, n := utf8.DecodeRune(text[i:])
	if r == utf8.RuneError && n <= 1 {
		return false
	}
	return r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0)
}

// head copies at most the first 64 bytes, enough for a log line.
func head(b []byte) []byte {
	if len(b) > 64 {
		b = b[:64]
	}
	return bytes.Clone(b)
}
