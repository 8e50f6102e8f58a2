package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// fakeSettings is a SettingsService in memory.
type fakeSettings struct {
	pin      string
	current  Settings
	saved    []Settings
	saveErr  error
	setCalls int
}

func (f *fakeSettings) HasPIN() bool { return f.pin != "" }

func (f *fakeSettings) Brand(string) Brand { return norwayBrand() }

func (f *fakeSettings) TestVipps(_ context.Context, s Settings) string {
	if s.ClientSecret == "s3cret" || (s.ClientSecret == "" && f.current.ClientSecretSet) {
		return "ok"
	}
	return "wrong_keys"
}

func (f *fakeSettings) SetPIN(current, pin string) error {
	f.setCalls++
	if f.pin != "" && current != f.pin {
		return &Problem{Key: "settings.problem.current_pin", Text: "current PIN: wrong PIN"}
	}
	f.pin = pin
	return nil
}

func (f *fakeSettings) CheckPIN(pin string) error {
	if pin != f.pin {
		return &Problem{Key: "settings.problem.wrong_pin", Text: "wrong PIN"}
	}
	return nil
}

func (f *fakeSettings) Settings() Settings { return f.current }

func (f *fakeSettings) SaveSettings(s Settings) error {
	if f.saveErr != nil {
		return f.saveErr
	}
	f.saved = append(f.saved, s)
	f.current = s
	f.current.ClientSecretSet = f.current.ClientSecretSet || s.ClientSecret != ""
	f.current.SubscriptionKeySet = f.current.SubscriptionKeySet || s.SubscriptionKey != ""
	f.current.ClientSecret, f.current.SubscriptionKey = "", ""
	return nil
}

func sampleSettings() Settings {
	return Settings{
		VippsEnv: "test", MSN: "123456", ClientID: "client-1", SubscriptionKeySet: true,
		PrinterWidth: 42, StoreName: "Fjellbutikken AS", OrgNumber: "923609016", Address: "Storgata 2",
		Country: "NO", TillID: "pos1", Lang: "en", Display: DisplayBeside,
	}
}

func openSettings(t *testing.T, svc *fakeSettings) *settingsScreen {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	sc := newSettingsScreen(w, svc, nil)
	w.SetContent(sc.root)
	return sc
}

func tapSettingsButton(t *testing.T, sc *settingsScreen, label string) {
	t.Helper()
	b, ok := sc.buttons[label]
	if !ok {
		t.Fatalf("no %q button on this page", label)
	}
	test.Tap(b)
}

func TestFirstRunAsksToChooseAPINBeforeTheSettings(t *testing.T) {
	svc := &fakeSettings{current: sampleSettings()}
	sc := openSettings(t, svc)
	if sc.form != nil || sc.pinRepeat == nil {
		t.Fatal("the first run must ask for a new PIN twice, not show the form")
	}
	test.Type(sc.pin, "2468")
	test.Type(sc.pinRepeat, "2469")
	tapSettingsButton(t, sc, "Set PIN")
	if svc.setCalls != 0 || sc.form != nil {
		t.Fatal("differing PINs were accepted")
	}
	if !strings.Contains(sc.status.Text, "differ") { // "The two PINs differ: type them again."
		t.Errorf("status %q does not explain the refusal", sc.status.Text)
	}
	sc.pinRepeat.SetText("")
	test.Type(sc.pinRepeat, "2468")
	tapSettingsButton(t, sc, "Set PIN")
	if svc.pin != "2468" || sc.form == nil {
		t.Fatalf("PIN %q set, form shown: %v", svc.pin, sc.form != nil)
	}
	if sc.form.msn.Text != "123456" || sc.form.env.Selected != "Vipps MobilePay test environment" {
		t.Errorf("the form does not show the current settings: msn=%q env=%q", sc.form.msn.Text, sc.form.env.Selected)
	}
}

func TestWrongPINKeepsTheSettingsClosed(t *testing.T) {
	svc := &fakeSettings{pin: "1357", current: sampleSettings()}
	sc := openSettings(t, svc)
	if sc.pinRepeat != nil {
		t.Fatal("with a PIN set, only one PIN entry is asked for")
	}
	test.Type(sc.pin, "0000")
	tapSettingsButton(t, sc, "Open")
	if sc.form != nil {
		t.Fatal("a wrong PIN opened the settings")
	}
	if sc.status.Text != "Wrong PIN." || sc.pin.Text != "" {
		t.Errorf("status %q, entry %q: want the refusal translated and a cleared entry", sc.status.Text, sc.pin.Text)
	}
	test.Type(sc.pin, "1357")
	tapSettingsButton(t, sc, "Open")
	if sc.form == nil {
		t.Fatal("the right PIN did not open the settings")
	}
}

func TestSavingSendsTheFormAndForgetsTheSecrets(t *testing.T) {
	svc := &fakeSettings{pin: "1357", current: sampleSettings()}
	sc := openSettings(t, svc)
	test.Type(sc.pin, "1357")
	tapSettingsButton(t, sc, "Open")

	f := sc.form
	if f.clientSecret.Text != "" || f.subscriptionKey.Text != "" {
		t.Fatal("secret fields must start empty")
	}
	if !strings.Contains(f.subscriptionKey.PlaceHolder, "stored") || strings.Contains(f.clientSecret.PlaceHolder, "stored") {
		t.Errorf("placeholders %q / %q do not tell which secret is stored", f.clientSecret.PlaceHolder, f.subscriptionKey.PlaceHolder)
	}
	f.env.SetSelected("Vipps MobilePay production — real money")
	f.country.SetSelected("Denmark — Danish kroner (DKK)")
	f.lang.SetSelected("Dansk")
	f.display.SetSelected("No customer display")
	f.tillID.SetText("pos1-2")
	test.Type(f.cashierBaud, "19200")
	f.msn.SetText("")
	test.Type(f.msn, "654321")
	test.Type(f.clientSecret, "s3cret")
	test.Type(f.cashierScanner, "/dev/ttyACM0")
	f.width.SetText("48")
	sc.async = func(f func()) { f() }
	test.Tap(f.test)
	if f.testResult.Text != "The connection works: Vipps MobilePay production — real money accepted the keys." {
		t.Errorf("test the connection: %q", f.testResult.Text)
	}
	tapSettingsButton(t, sc, "Save")

	if len(svc.saved) != 1 {
		t.Fatalf("saved %d times, status %q", len(svc.saved), sc.status.Text)
	}
	got := svc.saved[0]
	if got.VippsEnv != "production" || got.MSN != "654321" || got.ClientSecret != "s3cret" || got.SubscriptionKey != "" ||
		got.CashierScanner != "/dev/ttyACM0" || got.PrinterWidth != 48 || got.StoreName != "Fjellbutikken AS" ||
		got.Country != "DK" || got.Lang != "da" || got.Display != DisplayNone || got.TillID != "pos1-2" || got.CashierScannerBaud != 19200 {
		t.Errorf("saved %+v", got)
	}
	if sc.form.clientSecret.Text != "" || !strings.Contains(sc.form.clientSecret.PlaceHolder, "stored") {
		t.Error("after saving, the secret must leave the screen and show as stored")
	}
	if !strings.Contains(sc.status.Text, "Saved") {
		t.Errorf("status %q", sc.status.Text)
	}
}

func TestRefusedSettingsShowTheReasonAndStayOnTheForm(t *testing.T) {
	svc := &fakeSettings{pin: "1357", current: sampleSettings(), saveErr: Problems{
		{Key: "setup.problem.msn", Text: `the Merchant Serial Number "12ab" is not 4–7 digits`},
		{Key: "setup.problem.store_name", Text: "the store name is missing"},
	}}
	sc := openSettings(t, svc)
	test.Type(sc.pin, "1357")
	tapSettingsButton(t, sc, "Open")
	sc.form.msn.SetText("12ab")
	tapSettingsButton(t, sc, "Save")
	if sc.status.Text != "The Merchant Serial Number is 4 to 7 digits.\nEnter the store's name: it is printed on every receipt." {
		t.Errorf("status %q, want the service's reasons translated, one a line", sc.status.Text)
	}
	svc.saveErr = errors.New("disk full: /home/till/.local/share/kasse/config.json.tmp")
	tapSettingsButton(t, sc, "Save")
	if strings.Contains(sc.status.Text, "disk full") || !strings.HasPrefix(sc.status.Text, "That did not work.") {
		t.Errorf("a raw error reached the screen: %q", sc.status.Text)
	}
	if sc.form.msn.Text != "12ab" {
		t.Error("the form was reset: the manager loses what was typed")
	}

	sc.form.width.SetText("wide")
	tapSettingsButton(t, sc, "Save")
	if !strings.Contains(sc.status.Text, "number from 24 to 80") {
		t.Errorf("status %q for a non-numeric line width", sc.status.Text)
	}
}

func TestChangingThePIN(t *testing.T) {
	svc := &fakeSettings{pin: "1357", current: sampleSettings()}
	sc := openSettings(t, svc)
	test.Type(sc.pin, "1357")
	tapSettingsButton(t, sc, "Open")
	tapSettingsButton(t, sc, "Change PIN")
	test.Type(sc.pinCurrent, "9999")
	test.Type(sc.pin, "8642")
	test.Type(sc.pinRepeat, "8642")
	tapSettingsButton(t, sc, "Change PIN")
	if svc.pin != "1357" || sc.status.Text != "The current PIN is wrong." {
		t.Fatalf("pin %q, status %q: a wrong current PIN must not change it", svc.pin, sc.status.Text)
	}
	sc.pinCurrent.SetText("1357")
	tapSettingsButton(t, sc, "Change PIN")
	if svc.pin != "8642" || sc.buttons["Save"] == nil {
		t.Errorf("pin %q, back on the form: %v", svc.pin, sc.buttons["Save"] != nil)
	}
}

func TestCloseButtonCallsBack(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	closed := false
	sc := newSettingsScreen(w, &fakeSettings{pin: "1357"}, func() { closed = true })
	w.SetContent(sc.root)
	tapSettingsButton(t, sc, "Close")
	if !closed {
		t.Error("Close did not call back")
	}
}
