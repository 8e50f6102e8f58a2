package app

import (
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kasse-pos/kasse/ui"
)

// A till started from the menu with no Vipps keys writes why to its log and
// shows it in a window with the way out.
func TestRefusalToStartIsLoggedAndShown(t *testing.T) {
	t.Setenv("KASSE_NO_WINDOW", "1")
	t.Setenv("KASSE_VIPPS_CLIENT_SECRET", "")
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.Vipps.Env = EnvProduction
	loadErr := cfg.Load("", nil)
	if loadErr == nil {
		t.Fatal("a production till without keys loaded")
	}
	if err := RefuseStart(t.Context(), cfg, loadErr); err != loadErr {
		t.Fatalf("RefuseStart returned %v", err)
	}
	b, err := os.ReadFile(LogPath(dir))
	if err != nil || !strings.Contains(string(b), "the till did not start") || !strings.Contains(string(b), "client secret is missing") {
		t.Fatalf("the log says %q (%v)", b, err)
	}

	a := test.NewTempApp(t)
	cfg.Lang = "en"
	w := showStartProblem(a, cfg, loadErr)
	if !strings.Contains(w.Message.Text, "settings are not complete") || w.Buttons["start.open_settings"] == nil {
		t.Fatalf("window says %q with buttons %v", w.Message.Text, w.Buttons)
	}
	before := len(a.Driver().AllWindows())
	test.Tap(w.Buttons["start.open_settings"])
	if len(a.Driver().AllWindows()) != before+1 {
		t.Error("Open settings opened no window")
	}
}

func TestStartReasons(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, running := Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))

	pg := demoConfig(t.TempDir())
	pg.Database = "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"
	_, dbErr := Start(t.Context(), pg, slog.New(slog.DiscardHandler))

	for _, tt := range []struct {
		err  error
		want string
	}{
		{running, ui.StartRunning},
		{(&Config{Vipps: VippsConfig{Env: "staging"}}).Validate(), ui.StartConfig},
		{dbErr, ui.StartDatabase},
		{errors.New("scanner: no such port"), ui.StartOther},
	} {
		if got, _ := startReason(tt.err); got != tt.want {
			t.Errorf("%v: reason %s, want %s", tt.err, got, tt.want)
		}
	}
	if _, args := startReason(running); args["PID"] != strconv.Itoa(os.Getpid()) {
		t.Errorf("running: args %v", args)
	}
}
