package hardware

import (
	"bytes"
	"testing"
)

func TestReportTextIsPrintedInTheNordicCodePageAndCut(t *testing.T) {
	got := encodeText("Z-rapport nr. 3\nSum kr 1 234,50\nKasserer: Åse Ødegård\n", 42)
	if !bytes.HasPrefix(got, append(append([]byte{}, escInit...), escCodePage865...)) {
		t.Fatalf("the job must reset the printer and select CP865 first: % x", got[:6])
	}
	// CP865: Å = 0x8f, Ø = 0x9d, å = 0x86
	if !bytes.Contains(got, []byte{'K', 'a', 's', 's', 'e', 'r', 'e', 'r', ':', ' ', 0x8f, 's', 'e', ' ', 0x9d, 'd', 'e', 'g', 0x86, 'r', 'd', '\n'}) {
		t.Errorf("Nordic letters not in CP865: %q", got)
	}
	if !bytes.HasSuffix(got, gsCutAfterFeed) {
		t.Errorf("the job must end with a cut")
	}
	if bytes.Count(got, []byte{'\n'}) != 3 {
		t.Errorf("want the three report lines, got %q", got)
	}
}
