package app

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// startSimOverHTTP is a Vipps simulator on loopback, standing in for the
// test or production environment.
func startSimOverHTTP(t *testing.T) (string, sim.Config) {
	t.Helper()
	sc := sim.DefaultConfig()
	sc.ClientID = "fjell-client-7" // not the demo's
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); s.Close() })
	return url, sc
}

// startTillWithKeys starts a till (no demo) on Vipps at url with the keys
// given, logging into log.
func startTillWithKeys(t *testing.T, url string, sc sim.Config, secret string, log *syncBuffer) *Till {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Vipps = VippsConfig{Env: EnvTest, BaseURL: url, MSN: sc.MSN, ClientID: sc.ClientID, ClientSecret: secret,
		SubscriptionKey: sc.SubscriptionKey, Currency: "NOK", ClubName: "Klubben"}
	tl, err := Start(t.Context(), cfg, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tl.Close)
	return tl
}

// Keys Vipps refuses are noticed at start, told as what to do, and the
// raw error is in the log; keys it takes give no notice.
func TestStartUpKeyCheckAgainstTheSimulator(t *testing.T) {
	url, sc := startSimOverHTTP(t)
	var wrongLog, rightLog syncBuffer
	wrong := startTillWithKeys(t, url, sc, "not-the-secret", &wrongLog)
	if got := wrong.CheckVippsKeys(t.Context()); got != "notice.vipps_keys.wrong_keys" {
		t.Errorf("wrong keys at start: %q", got)
	}
	if l := wrongLog.String(); !strings.Contains(l, "Vipps refused the till's keys at start") || !strings.Contains(l, "HTTP 401") {
		t.Errorf("the log lacks the refusal:\n%s", l)
	}
	if strings.Contains(wrongLog.String(), "not-the-secret") {
		t.Error("the secret reached the log")
	}
	right := startTillWithKeys(t, url, sc, sc.ClientSecret, &rightLog)
	if got := right.CheckVippsKeys(t.Context()); got != "" {
		t.Errorf("right keys at start: %q\n%s", got, rightLog.String())
	}
	if got := startDemoTill(t).CheckVippsKeys(t.Context()); got != "" {
		t.Errorf("the built-in simulator is checked: %q", got)
	}
}

// A first start that is no demo and has no keys sells in training mode,
// which no manager can switch off until the keys are there.
func TestFirstStartWithoutKeysIsTraining(t *testing.T) {
	cfg := DefaultConfig()
	if !needsTraining(cfg) {
		t.Fatal("a new till on the built-in simulator does not train")
	}
	cfg.Demo = true
	if needsTraining(cfg) {
		t.Error("the demo trains")
	}
	tl := startDemoTill(t, func(c *Config) { c.Demo = false })
	var mu sync.Mutex
	var seen []bool
	cancel := tl.till.Subscribe(func(v flow.View) { mu.Lock(); seen = append(seen, v.Training); mu.Unlock() })
	defer cancel()
	if err := tl.training.RequireTraining(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !tl.till.View().Training {
		t.Fatal("the till is not in training mode")
	}
	mu.Lock()
	t.Logf("views seen: %v", seen)
	if len(seen) == 0 || !seen[len(seen)-1] {
		t.Errorf("the windows were not told: %v", seen)
	}
	mu.Unlock()
	if err := tl.training.SetTraining(t.Context(), false); !errors.Is(err, flow.ErrTrainingRequired) && !errors.Is(err, flow.ErrNotLoggedIn) {
		t.Errorf("training switched off without keys: %v", err)
	}
}

func newTestSetupManager(t *testing.T) (*SetupManager, *Till, *syncBuffer) {
	t.Helper()
	var log syncBuffer
	tl := startDemoTill(t, func(c *Config) { c.Demo = false })
	m, err := NewSettingsManager(tl.cfg.DataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	m.Secrets.Keyring = &memKeyring{broken: true} // the fallback file, as on a kiosk
	s := NewSetupManager(m, tl)
	s.Log = slog.New(slog.NewTextHandler(&log, nil))
	return s, tl, &log
}

// The assistant's steps do the real work: the store's checks, the
// connection test against an environment, the catalogue import with its
// report, and Finish writing the settings (secrets apart), the first
// manager and the settings PIN.
func TestSetupManagerDoesEachStep(t *testing.T) {
	s, tl, log := newTestSetupManager(t)
	ctx := t.Context()

	d := s.Defaults()
	if d.StoreName != "" || d.OrgNumber != "" || d.MSN != "" || d.Country != "NO" || d.TillID != "pos1" {
		t.Errorf("a new till offers the demo identity: %+v", d)
	}
	for _, c := range []struct {
		v    ui.SetupValues
		want string
	}{
		{ui.SetupValues{Country: "NO", StoreName: "", OrgNumber: "923609016", TillID: "pos1"}, "setup.problem.store_name"},
		{ui.SetupValues{Country: "NO", StoreName: "Fjell AS", OrgNumber: "923609017", TillID: "pos1"}, "setup.problem.org_check_no"},
		{ui.SetupValues{Country: "DK", StoreName: "Hygge ApS", OrgNumber: "1234567", TillID: "pos1"}, "setup.problem.org_digits_dk"},
		{ui.SetupValues{Country: "FI", StoreName: "Kauppa Oy", OrgNumber: "1234567-8", TillID: "kassa 1"}, "setup.problem.till_id"},
		{ui.SetupValues{Country: "FI", StoreName: "Kauppa Oy", OrgNumber: "1234567-8", TillID: "kassa-1"}, ""},
	} {
		err := s.CheckStore(c.v)
		var p *ui.Problem
		if got := ""; err != nil {
			if !errors.As(err, &p) {
				t.Fatalf("%+v: %v is no Problem", c.v, err)
			}
			got = p.Key
			if got != c.want {
				t.Errorf("%+v: %s, want %s", c.v, got, c.want)
			}
		} else if c.want != "" {
			t.Errorf("%+v accepted, want %s", c.v, c.want)
		}
	}

	// The connection test, against a simulator standing in for the test
	// environment.
	url, sc := startSimOverHTTP(t)
	s.Settings.cfg.Vipps.BaseURL = url
	keys := ui.SetupValues{VippsEnv: EnvTest, MSN: sc.MSN, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, SubscriptionKey: sc.SubscriptionKey}
	if got := s.TestVipps(ctx, keys); got != "ok" {
		t.Errorf("right keys: %s\n%s", got, log.String())
	}
	bad := keys
	bad.SubscriptionKey = "not-the-key"
	if got := s.TestVipps(ctx, bad); got != "wrong_keys" {
		t.Errorf("a wrong subscription key: %s", got)
	}
	bad = keys
	bad.MSN = "654321"
	if got := s.TestVipps(ctx, bad); got != "unknown_msn" {
		t.Errorf("another MSN: %s", got)
	}
	if strings.Contains(log.String(), sc.ClientSecret) {
		t.Error("the client secret reached the log")
	}

	// The catalogue: the sample file imports; a bad file is refused line by line.
	sample := filepath.Join("..", "assets", "catalog-demo.csv")
	var progress [][2]int
	rep, err := s.ImportCatalog(ctx, sample, func(done, total int) { progress = append(progress, [2]int{done, total}) })
	if err != nil || rep.Imported < 40 || len(rep.Rows) != 0 || len(progress) == 0 || progress[len(progress)-1][0] != rep.Imported {
		t.Fatalf("sample catalogue: %+v %v, progress %v", rep, err, progress)
	}
	if p, err := tl.db.ProductByGTIN(ctx, "7038800010014"); err != nil || p.Price != 2490 {
		t.Errorf("the milk after the import: %+v %v", p, err)
	}
	badFile := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(badFile, []byte("gtin,name,price,vat\n7038800010014,Lettmelk,24.90,15\n123,Ost,abc,15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err = s.ImportCatalog(ctx, badFile, func(int, int) { t.Error("a refused file made progress") })
	if err != nil || len(rep.Rows) == 0 || rep.Rows[0].Line != 3 || rep.Imported != 0 {
		t.Errorf("bad file: %+v %v", rep, err)
	}
	if _, err := s.ImportCatalog(ctx, filepath.Join(t.TempDir(), "none.csv"), nil); err == nil || err.Error() != "setup.problem.file" {
		t.Errorf("a missing file: %v", err)
	}

	// Finish: the settings, the keys in the secret store only, the manager.
	s.Settings.cfg.Vipps.BaseURL = ""
	v := ui.SetupValues{Lang: "da", Country: "DK", StoreName: "Hygge ApS", OrgNumber: "12345678", Address: "Vestergade 1, 8000 Aarhus",
		TillID: "kasse2", VippsEnv: EnvTest, MSN: sc.MSN, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		SubscriptionKey: sc.SubscriptionKey, PrinterDevice: "/dev/usb/lp0", PrinterWidth: 48, CashierScanner: "/dev/ttyACM0",
		Display: ui.DisplayFullscreen, ManagerName: "Mette", ManagerPIN: "4711"}
	if err := s.Finish(ctx, v); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(s.Settings.File)
	if strings.Contains(string(file), sc.ClientSecret) || strings.Contains(string(file), sc.SubscriptionKey) || strings.Contains(string(file), "4711") {
		t.Errorf("a secret in the config file:\n%s", file)
	}
	cfg := DefaultConfig()
	cfg.DataDir = tl.cfg.DataDir
	if err := cfg.Load("", nil); err != nil {
		t.Fatalf("the till does not start with what the assistant saved: %v", err)
	}
	if cfg.Lang != "da" || cfg.Vipps.Currency != "DKK" || cfg.Store.POSID != "kasse2" || cfg.Vipps.Env != EnvTest ||
		cfg.Vipps.ClientSecret != sc.ClientSecret || !cfg.CustomerDisplay.Fullscreen || cfg.Printer.Width != 48 ||
		len(cfg.Scanners) != 1 || cfg.Scanners[0].Port != "/dev/ttyACM0" || cfg.Demo {
		t.Errorf("loaded %+v", cfg)
	}
	if s.Settings.FirstRun() || s.Settings.CheckPIN("4711") != nil {
		t.Error("the manager's PIN does not open the settings")
	}
	cashiers, err := tl.session.Cashiers(ctx)
	if err != nil || len(cashiers) != 1 || cashiers[0].Name != "Mette" || cashiers[0].Role != flow.RoleManager {
		t.Fatalf("cashiers after the assistant: %+v %v", cashiers, err)
	}
	if _, err := tl.session.Login(ctx, cashiers[0].ID, "4711"); err != nil {
		t.Errorf("the first manager cannot log in: %v", err)
	}
	if !s.HasCashiers() {
		t.Error("HasCashiers after the first manager")
	}
}

// The settings form carries what the assistant set: country and currency,
// till id, language, display placement, scanner and printer details; its
// refusals are keyed for translation, and its connection test asks the
// environment.
func TestSettingsCarryTheAssistantsFields(t *testing.T) {
	m := newTestManager(t, &memKeyring{m: map[string]string{}})
	s := validSettings()
	s.Country, s.OrgNumber, s.TillID, s.Lang, s.Display = "FI", "1234567-8", "kassa-3", "fi", ui.DisplayNone
	s.CashierScannerBaud, s.CustomerScanner, s.CustomerScannerBaud, s.PrinterBaud = 19200, "/dev/ttyACM1", 0, 38400
	if err := m.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	got := m.Settings()
	if got.Country != "FI" || got.TillID != "kassa-3" || got.Lang != "fi" || got.Display != ui.DisplayNone ||
		got.CashierScannerBaud != 19200 || got.CustomerScannerBaud != 9600 || got.PrinterBaud != 38400 {
		t.Errorf("settings after saving: %+v", got)
	}
	if m.cfg.Vipps.Currency != "EUR" || !m.cfg.CustomerDisplay.Disabled {
		t.Errorf("config after saving: %+v", m.cfg)
	}

	bad := validSettings()
	bad.MSN, bad.StoreName, bad.TillID, bad.Country = "12ab", "", "till 1", "NO"
	err := m.SaveSettings(bad)
	var ps ui.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("refusal %v is not ui.Problems", err)
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	if strings.Join(keys, " ") != "setup.problem.msn setup.problem.store_name setup.problem.till_id" {
		t.Errorf("refusal keys %v", keys)
	}
	if err := m.CheckPIN("0000"); err == nil || err.(*ui.Problem).Key != "settings.problem.wrong_pin" {
		t.Errorf("a wrong PIN: %v", err)
	}

	url, sc := startSimOverHTTP(t)
	m.cfg.Vipps.BaseURL = url
	keys2 := ui.Settings{VippsEnv: EnvTest, MSN: sc.MSN, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, SubscriptionKey: sc.SubscriptionKey}
	if got := m.TestVipps(t.Context(), keys2); got != "ok" {
		t.Errorf("right keys from the settings: %s", got)
	}
	keys2.ClientSecret = "nope"
	if got := m.TestVipps(t.Context(), keys2); got != "wrong_keys" {
		t.Errorf("a wrong secret from the settings: %s", got)
	}
}
