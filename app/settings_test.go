package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui"
)

func newTestManager(t *testing.T, kr Keyring) *SettingsManager {
	t.Helper()
	dir := t.TempDir()
	m, err := NewSettingsManager(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	m.Secrets.Keyring = kr
	return m
}

func TestPINIsStoredOnlyAsASaltedHash(t *testing.T) {
	m := newTestManager(t, &memKeyring{broken: true})
	if !m.FirstRun() {
		t.Fatal("a fresh data directory is a first run")
	}
	if err := m.SetPIN("", "12"); err == nil {
		t.Error("a 2-digit PIN was accepted")
	}
	if err := m.SetPIN("", "482913"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(m.File)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "482913") {
		t.Errorf("the PIN is in the config file:\n%s", b)
	}
	if !strings.Contains(string(b), `"managerPIN": "pbkdf2-sha512$`) {
		t.Errorf("no PIN hash in the config file:\n%s", b)
	}
	// A second manager reading the same file knows the PIN.
	again, err := NewSettingsManager(filepath.Dir(m.File), "")
	if err != nil {
		t.Fatal(err)
	}
	if again.FirstRun() || again.CheckPIN("482913") != nil || again.CheckPIN("482914") == nil {
		t.Error("the saved PIN does not check as expected after a restart")
	}
	h1, _ := flow.HashPIN("482913")
	h2, _ := flow.HashPIN("482913")
	if h1 == h2 {
		t.Error("two hashes of the same PIN are equal: no salt")
	}
}

func TestChangingThePINNeedsTheCurrentOne(t *testing.T) {
	m := newTestManager(t, &memKeyring{broken: true})
	if err := m.SetPIN("", "1111"); err != nil {
		t.Fatal(err)
	}
	if err := m.SetPIN("9999", "2222"); err == nil {
		t.Fatal("changed the PIN without knowing it")
	}
	if err := m.SetPIN("1111", "2222"); err != nil {
		t.Fatal(err)
	}
	if m.CheckPIN("2222") != nil {
		t.Error("new PIN refused")
	}
}

func TestWrongPINsLockTheSettingsAsCashiersAreLocked(t *testing.T) {
	m := newTestManager(t, &memKeyring{broken: true})
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	m.Now = func() time.Time { return now }
	if err := m.SetPIN("", "2468"); err != nil {
		t.Fatal(err)
	}
	// flow's rule: five wrong PINs lock for 30 seconds.
	for i := 0; i < 5; i++ {
		if m.CheckPIN("0000") == nil {
			t.Fatal("wrong PIN accepted")
		}
	}
	err := m.CheckPIN("2468")
	if err == nil || !strings.Contains(err.Error(), "try again in 30 seconds") {
		t.Fatalf("right PIN during the lockout: %v", err)
	}
	now = now.Add(30 * time.Second)
	if err := m.CheckPIN("2468"); err != nil {
		t.Errorf("right PIN after the lockout: %v", err)
	}
}

// At the till the count is kept in the database: a restart does not
// reset a lockout.
func TestSettingsLockoutHoldsInTheDatabase(t *testing.T) {
	db := storetest.OpenSQLite(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	m := newTestManager(t, &memKeyring{broken: true})
	m.Now, m.Lockout = func() time.Time { return now }, db
	if err := m.SetPIN("", "2468"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if m.CheckPIN("0000") == nil {
			t.Fatal("wrong PIN accepted")
		}
	}
	again, err := NewSettingsManager(filepath.Dir(m.File), "")
	if err != nil {
		t.Fatal(err)
	}
	again.Now, again.Lockout = m.Now, db
	if err := again.CheckPIN("2468"); err == nil || !strings.Contains(err.Error(), "try again in 30 seconds") {
		t.Fatalf("right PIN after a restart during the lockout: %v", err)
	}
}

func validSettings() ui.Settings {
	return ui.Settings{
		VippsEnv: EnvProduction, MSN: "654321", ClientID: "5b7f1c9e-0a7e-4b8e-9f6c-2f1d2e3c4b5a",
		ClientSecret: "cs-very-secret", SubscriptionKey: "0123456789abcdef0123456789abcdef",
		CashierScanner: "/dev/ttyACM0", PrinterDevice: "/dev/usb/lp0", PrinterWidth: 42,
		StoreName: "Fjellbutikken AS", OrgNumber: "923 609 016", Address: "Storgata 2, 9008 Tromsø",
	}
}

func TestSavedSettingsReachTheTillButSecretsStayOutOfTheFile(t *testing.T) {
	kr := &memKeyring{m: map[string]string{}}
	m := newTestManager(t, kr)
	if err := m.SaveSettings(validSettings()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(m.File)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"cs-very-secret", "0123456789abcdef0123456789abcdef"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("secret in the config file:\n%s", b)
		}
	}
	if len(kr.m) != 2 {
		t.Errorf("keyring holds %d entries, want the 2 secrets", len(kr.m))
	}

	// What the screen shows next time: values, and secrets only as stored.
	got := m.Settings()
	if got.MSN != "654321" || got.CashierScanner != "/dev/ttyACM0" || got.StoreName != "Fjellbutikken AS" || got.PrinterWidth != 42 {
		t.Errorf("settings not kept: %+v", got)
	}
	if got.ClientSecret != "" || got.SubscriptionKey != "" || !got.ClientSecretSet || !got.SubscriptionKeySet {
		t.Errorf("secrets must show only as stored: %+v", got)
	}

	// Saving again with the secret fields left empty keeps the stored ones.
	s := validSettings()
	s.ClientSecret, s.SubscriptionKey, s.MSN = "", "", "7654321"
	if err := m.SaveSettings(s); err != nil {
		t.Fatalf("save with stored secrets: %v", err)
	}
	if v, _ := m.Secrets.Get(EnvProduction, SecretClientSecret); v != "cs-very-secret" {
		t.Errorf("stored secret lost: %q", v)
	}
}

func TestInvalidSettingsAreRefusedWithTheReason(t *testing.T) {
	tests := []struct {
		name string
		edit func(*ui.Settings)
		want string
	}{
		{"MSN with letters", func(s *ui.Settings) { s.MSN = "12ab56" }, "not 4–7 digits"},
		{"MSN too long", func(s *ui.Settings) { s.MSN = "12345678" }, "not 4–7 digits"},
		{"secret with a line break", func(s *ui.Settings) { s.ClientSecret = "abc\n" }, "client secret contains spaces"},
		{"no subscription key", func(s *ui.Settings) { s.SubscriptionKey = "" }, "subscription key is missing"},
		{"org number typo", func(s *ui.Settings) { s.OrgNumber = "923609017" }, "check digit"},
		{"no store name", func(s *ui.Settings) { s.StoreName = " " }, "store name is missing"},
		{"unknown environment", func(s *ui.Settings) { s.VippsEnv = "staging" }, `unknown Vipps environment "staging"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestManager(t, &memKeyring{m: map[string]string{}})
			s := validSettings()
			tt.edit(&s)
			err := m.SaveSettings(s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SaveSettings error %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "cs-very-secret") {
				t.Errorf("the error quotes the secret: %v", err)
			}
			if _, statErr := os.Stat(m.File); statErr == nil {
				t.Error("an invalid form was written to the config file")
			}
		})
	}
}

func TestSimulatorNeedsNoCredentials(t *testing.T) {
	m := newTestManager(t, &memKeyring{broken: true})
	s := validSettings()
	s.VippsEnv, s.ClientSecret, s.SubscriptionKey = EnvSimulator, "", ""
	if err := m.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.Secrets.File); err == nil {
		t.Error("the simulator wrote a secrets file")
	}
}

func TestProductionRefusesMalformedCredentials(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Vipps = VippsConfig{Env: EnvProduction, MSN: "12-34", ClientID: "id with space", ClientSecret: "s", SubscriptionKey: "k "}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("malformed production credentials validated")
	}
	for _, want := range []string{`"12-34" is not 4–7 digits`, "client id contains spaces", "subscription key contains spaces"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not say %q", err, want)
		}
	}
}

func TestOrgNumbers(t *testing.T) {
	tests := []struct {
		currency, org string
		ok            bool
	}{
		{"NOK", "923609016", true},
		{"NOK", "NO 923 609 016 MVA", true},
		{"NOK", "923609015", false},
		{"NOK", "92360901", false},
		{"DKK", "DK12345678", true},
		{"DKK", "1234567", false},
		{"EUR", "1234567-8", true},
		{"EUR", "12345678", false},
	}
	for _, tt := range tests {
		if got := OrgNumberProblem(tt.currency, tt.org) == ""; got != tt.ok {
			t.Errorf("OrgNumberProblem(%s, %q) ok=%v, want %v", tt.currency, tt.org, got, tt.ok)
		}
	}
}

func TestDemoModeEndsOnlyWhenRealVippsIsChosen(t *testing.T) {
	m := newTestManager(t, &memKeyring{m: map[string]string{}})
	m.cfg.Demo = true
	s := validSettings()
	s.VippsEnv = EnvSimulator
	if err := m.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if !m.cfg.Demo {
		t.Error("saving simulator settings switched demo mode off")
	}
	s.VippsEnv = EnvProduction
	if err := m.SaveSettings(s); err != nil {
		t.Fatalf("production settings refused in a demo till: %v", err)
	}
	if m.cfg.Demo {
		t.Error("demo mode left on against production")
	}
}

// TestSavingSettingsKeepsTheCustomerDisplayWhereItIs: a display at the top
// of the screen (y 0) stays there after the settings are saved, instead of
// falling back to "automatic" and opening behind the cashier window.
func TestSavingSettingsKeepsTheCustomerDisplayWhereItIs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"customerDisplay":{"x":1024,"y":0}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := NewSettingsManager(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	m.Secrets.Keyring = &memKeyring{m: map[string]string{}}
	if err := m.SaveSettings(validSettings()); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir = dir
	b, _ := os.ReadFile(m.File)
	if err := cfg.Load(m.File, nil); err != nil && !strings.Contains(err.Error(), "configuration") {
		t.Fatal(err)
	}
	if cfg.CustomerDisplay.X != 1024 || cfg.CustomerDisplay.Y != 0 {
		t.Errorf("customer display after saving the settings: %+v\n%s", cfg.CustomerDisplay, b)
	}
}

// Push is a switch in the settings: the till turns it off itself when
// Vipps refuses push (writing the file behind an open settings screen), the
// form shows that and saving other settings keeps it off; a manager turns
// it on again once Vipps has enabled push.
func TestPushIsASwitchInTheSettingsThatTheTillCanTurnOff(t *testing.T) {
	m := newTestManager(t, &memKeyring{m: map[string]string{}})
	s := validSettings()
	s.ClubConsents = true
	if err := m.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if got := m.Settings(); got.PushOff || !got.ClubConsents {
		t.Fatalf("after saving: push off %v, consents %v", got.PushOff, got.ClubConsents)
	}
	if err := setPushDisabled(m.File); err != nil { // Vipps answered 5080 at the till
		t.Fatal(err)
	}
	shown := m.Settings()
	if !shown.PushOff {
		t.Error("the settings still show push on after the till turned it off")
	}
	shown.StoreName = "Fjellbutikken Tromsø"
	if err := m.SaveSettings(shown); err != nil {
		t.Fatal(err)
	}
	again, err := NewSettingsManager(filepath.Dir(m.File), "")
	if err != nil {
		t.Fatal(err)
	}
	if !again.cfg.Vipps.PushDisabled || !again.cfg.Vipps.DelegatedConsents || again.cfg.Store.Name != "Fjellbutikken Tromsø" {
		t.Errorf("the file after saving the store's name: %+v", again.cfg.Vipps)
	}
	shown.PushOff = false
	if err := m.SaveSettings(shown); err != nil {
		t.Fatal(err)
	}
	if again, _ := NewSettingsManager(filepath.Dir(m.File), ""); again.cfg.Vipps.PushDisabled {
		t.Error("push turned on in the settings stays off")
	}
}

// One PIN per person: any active manager's own PIN opens the settings, a
// cashier's does not, and wrong PINs still lock them.
func TestAManagersOwnPINOpensTheSettings(t *testing.T) {
	m := newTestManager(t, &memKeyring{m: map[string]string{}})
	hash := func(pin string) string {
		h, err := flow.HashPINWithCost(pin, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	m.Managers = func(context.Context) ([]flow.Cashier, error) {
		return []flow.Cashier{
			{ID: 1, Name: "Ola", Role: flow.RoleManager, Active: true, PINHash: hash("2468")},
			{ID: 2, Name: "Kari", Role: flow.RoleCashier, Active: true, PINHash: hash("1357")},
			{ID: 3, Name: "Per", Role: flow.RoleManager, Active: false, PINHash: hash("9999")},
		}, nil
	}
	if !m.HasPIN() || !m.FirstRun() {
		t.Errorf("HasPIN %v, FirstRun %v: a till with a manager has a PIN for the settings, and its assistant has not run", m.HasPIN(), m.FirstRun())
	}
	if err := m.CheckPIN("2468"); err != nil {
		t.Errorf("the manager's own PIN: %v", err)
	}
	for _, pin := range []string{"1357", "9999", "0000"} {
		if err := m.CheckPIN(pin); err == nil {
			t.Errorf("PIN %s (a cashier's, a former manager's, nobody's) opened the settings", pin)
		}
	}
}
