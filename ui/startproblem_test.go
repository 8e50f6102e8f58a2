package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestStartProblemSaysWhyAndOffersTheWayOut(t *testing.T) {
	a := test.NewTempApp(t)
	settings, retried := 0, 0
	w := NewStartProblemWindow(a, StartProblem{
		Lang: "nb", Reason: StartConfig, LogPath: "/home/kasse/.local/share/kasse/kasse.log",
		OnSettings: func() { settings++ },
		OnRetry:    func() { retried++ },
		LogText:    func() string { return "level=ERROR msg=\"the till did not start\"\n" },
	})
	w.Win.Show()
	if got := w.Win.Title(); got != "Kassen startet ikke" {
		t.Errorf("title %q", got)
	}
	if !strings.Contains(w.Message.Text, "Åpne innstillingene") {
		t.Errorf("message %q does not say what to do", w.Message.Text)
	}
	for _, key := range []string{"start.open_settings", "start.show_log", "start.retry", "start.close"} {
		if w.Buttons[key] == nil {
			t.Fatalf("no %s button", key)
		}
	}
	if w.Buttons["start.open_settings"].Text != "Åpne innstillinger" {
		t.Errorf("settings button reads %q", w.Buttons["start.open_settings"].Text)
	}
	test.Tap(w.Buttons["start.open_settings"])
	if settings != 1 {
		t.Error("Open settings did not open them")
	}
	before := len(a.Driver().AllWindows())
	test.Tap(w.Buttons["start.show_log"])
	wins := a.Driver().AllWindows()
	if len(wins) != before+1 {
		t.Fatalf("Show log opened %d windows", len(wins)-before)
	}
	logWin := wins[len(wins)-1]
	if !strings.Contains(findEntryText(logWin.Content()), "the till did not start") {
		t.Error("the log window does not show the log")
	}
	test.Tap(w.Buttons["start.retry"])
	if retried != 1 {
		t.Error("Start again did not start the till")
	}
}

func TestStartProblemRunningNamesTheHolder(t *testing.T) {
	a := test.NewTempApp(t)
	for _, lang := range Languages {
		w := NewStartProblemWindow(a, StartProblem{Lang: lang, Reason: StartRunning,
			Args: map[string]string{"PID": "4242", "Dir": "/srv/kasse"}, LogPath: "/srv/kasse/kasse.log"})
		if !strings.Contains(w.Message.Text, "4242") || !strings.Contains(w.Message.Text, "/srv/kasse") {
			t.Errorf("%s: %q does not name the process and the directory", lang, w.Message.Text)
		}
		if w.Buttons["start.open_settings"] != nil || w.Buttons["start.show_log"] != nil {
			t.Errorf("%s: buttons without an action", lang)
		}
		for _, r := range []string{StartConfig, StartRunning, StartDatabase, StartOther} {
			key := "start." + r
			if got := (tr{all: sharedTexts(), lang: lang}).T(key); got == key || (lang != "en" && got == (tr{all: sharedTexts(), lang: "en"}).T(key)) {
				t.Errorf("%s: %s is not translated", lang, key)
			}
		}
	}
}

func findEntryText(o fyne.CanvasObject) string {
	switch o := o.(type) {
	case *widget.Entry:
		return o.Text
	case *fyne.Container:
		for _, c := range o.Objects {
			if s := findEntryText(c); s != "" {
				return s
			}
		}
	}
	return ""
}
