package ui

import (
	"os"
	"strings"
	"testing"
)

// The desktop entries name the class the till's windows carry, so the dock
// shows them under the till's icon and not as an unknown program.
func TestDesktopEntriesNameTheWindowClass(t *testing.T) {
	for _, f := range []string{"no.kasse.till.desktop", "kasse-kiosk.desktop"} {
		b, err := os.ReadFile("../assets/packaging/linux/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "\nStartupWMClass="+WindowClass+"\n") {
			t.Errorf("%s does not say StartupWMClass=%s", f, WindowClass)
		}
	}
}
