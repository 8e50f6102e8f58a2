package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
	"github.com/kasse-pos/kasse/ui"
	"github.com/kasse-pos/kasse/vipps"
)

var _ ui.SetupService = (*SetupManager)(nil)

// Countries and their currencies, as the assistant offers them.
var countryCurrency = map[string]string{"NO": "NOK", "DK": "DKK", "FI": "EUR"}

var tillIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,16}$`)

// SetupManager is the first-run assistant's service: it writes what the
// assistant asks for through the settings (secrets to the keyring or its
// fallback file, never the config file or the log), imports the catalogue
// into the running till's database and makes the first manager in its
// cashier session.
type SetupManager struct {
	Settings *SettingsManager
	DB       *store.DB               // the catalogue goes here
	Journal  *flow.ElectronicJournal // price changes are journaled
	Session  *flow.CashierSession    // the first manager is made here
	Log      *slog.Logger
	Now      func() time.Time
}

// NewSetupManager is the assistant's service for a started till.
func NewSetupManager(s *SettingsManager, t *Till) *SetupManager {
	return &SetupManager{Settings: s, DB: t.db, Journal: t.journal, Session: t.session, Log: t.log, Now: time.Now}
}

func problem(key string) error { return &ui.Problem{Key: "setup.problem." + key} }

// Defaults are the configuration's values, without the demo identity a
// new till starts with and without any secret.
func (m *SetupManager) Defaults() ui.SetupValues {
	m.Settings.mu.Lock()
	c := *m.Settings.cfg
	m.Settings.mu.Unlock()
	demo := DefaultConfig()
	v := ui.SetupValues{
		Lang: c.Lang, StoreName: c.Store.Name, OrgNumber: c.Store.OrgNumber, Address: c.Store.Address, TillID: c.Store.POSID,
		VippsEnv: c.Vipps.Env, MSN: c.Vipps.MSN, ClientID: c.Vipps.ClientID,
		PrinterDevice: c.Printer.Device, PrinterWidth: c.Printer.Width, Display: ui.DisplayBeside,
	}
	for country, cur := range countryCurrency {
		if cur == c.Vipps.Currency {
			v.Country = country
		}
	}
	if c.Store == demo.Store {
		v.StoreName, v.OrgNumber, v.Address = "", "", ""
	}
	if c.Vipps.Env == EnvSimulator || c.Vipps.ClientID == demo.Vipps.ClientID {
		v.MSN, v.ClientID = "", ""
	}
	if v.PrinterWidth == 0 {
		v.PrinterWidth = 42
	}
	v.SampleCatalog = sampleCatalog()
	switch {
	case c.CustomerDisplay.Disabled:
		v.Display = ui.DisplayNone
	case c.CustomerDisplay.Fullscreen:
		v.Display = ui.DisplayFullscreen
	}
	for _, sc := range c.Scanners {
		switch sc.Name {
		case "cashier":
			v.CashierScanner = sc.Port
		case "customer":
			v.CustomerScanner = sc.Port
		}
	}
	if c.Vipps.Env == EnvTest || c.Vipps.Env == EnvProduction {
		s, _ := m.Settings.Secrets.Get(c.Vipps.Env, SecretClientSecret)
		k, _ := m.Settings.Secrets.Get(c.Vipps.Env, SecretSubscriptionKey)
		v.ClientSecretSet, v.SubscriptionKeySet = s != "", k != ""
	}
	return v
}

// HasCashiers: the till's database has cashiers already.
func (m *SetupManager) HasCashiers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	all, err := m.Session.Cashiers(ctx)
	return err == nil && len(all) > 0
}

// Brand is what the country's market calls the app and the company today.
func (m *SetupManager) Brand(country string) ui.Brand {
	b := vipps.BrandFor(vipps.MarketOf(countryCurrency[country]), m.Now())
	return ui.Brand{App: b.App, Company: b.Company}
}

// CheckStore checks the store's step: a name, the country's organisation
// number, a till id that can lead payment references.
func (m *SetupManager) CheckStore(v ui.SetupValues) error {
	if strings.TrimSpace(v.StoreName) == "" {
		return problem("store_name")
	}
	if code := orgNumberCode(countryCurrency[v.Country], v.OrgNumber); code != "" {
		return problem(code)
	}
	if !tillIDPattern.MatchString(v.TillID) {
		return problem("till_id")
	}
	return nil
}

// vippsConfig is v's Vipps part with the secrets it leaves empty taken
// from the store.
func (m *SetupManager) vippsConfig(v ui.SetupValues) (VippsConfig, error) {
	vc := VippsConfig{Env: v.VippsEnv, MSN: v.MSN, ClientID: v.ClientID, ClientSecret: v.ClientSecret, SubscriptionKey: v.SubscriptionKey}
	if err := m.Settings.Secrets.Load(&vc); err != nil {
		return vc, err
	}
	return vc, nil
}

// CheckVipps checks the Vipps step: nothing for training, complete keys of
// the right shape for the test and production environments.
func (m *SetupManager) CheckVipps(v ui.SetupValues) error {
	switch v.VippsEnv {
	case EnvSimulator:
		return nil
	case EnvTest, EnvProduction:
	default:
		return problem("failed")
	}
	vc, err := m.vippsConfig(v)
	if err != nil {
		m.Log.Error("reading the stored Vipps keys", "err", err)
		return problem("failed")
	}
	if !msnPattern.MatchString(vc.MSN) {
		return problem("msn")
	}
	if vc.ClientID == "" || vc.ClientSecret == "" || vc.SubscriptionKey == "" {
		return problem("keys_missing")
	}
	if len(credentialFormatProblems(vc)) > 0 {
		return problem("keys_spaces")
	}
	return nil
}

// baseURL is where env's Vipps is; the configuration's vipps.baseURL wins
// (an external simulator, a proxy).
func (m *SetupManager) baseURL(env string) string {
	m.Settings.mu.Lock()
	defer m.Settings.mu.Unlock()
	if u := m.Settings.cfg.Vipps.BaseURL; u != "" {
		return strings.TrimRight(u, "/")
	}
	return BaseURLs[env]
}

// TestVipps asks v's Vipps environment whether the keys work. The result
// is a word for the window; the error behind it goes to the log.
func (m *SetupManager) TestVipps(ctx context.Context, v ui.SetupValues) string {
	vc, err := m.vippsConfig(v)
	if err != nil {
		m.Log.Error("reading the stored Vipps keys", "err", err)
		return vipps.ConnectionFailed.String()
	}
	conn, err := checkConnection(ctx, vc, m.baseURL(v.VippsEnv), m.Log)
	m.Log.Info("Vipps connection test", "env", v.VippsEnv, "msn", vc.MSN, "result", conn.String(), "err", err)
	return conn.String()
}

// checkConnection tries vc's keys at base (vipps.Client.CheckConnection).
func checkConnection(ctx context.Context, vc VippsConfig, base string, log *slog.Logger) (vipps.Connection, error) {
	c, err := vipps.New(vipps.Config{BaseURL: base, ClientID: vc.ClientID, ClientSecret: vc.ClientSecret,
		SubscriptionKey: vc.SubscriptionKey, MSN: vc.MSN, SystemName: "kasse", SystemVersion: Version, Logger: log, MaxRetries: -1})
	if err != nil {
		return vipps.ConnectionFailed, err
	}
	return c.CheckConnection(ctx)
}

// TestPrint prints a short receipt with the Nordic letters on v's printer.
func (m *SetupManager) TestPrint(ctx context.Context, v ui.SetupValues) error {
	p, _ := hardware.NewPrinter(hardware.PrinterConfig{Device: v.PrinterDevice, Width: v.PrinterWidth})
	tp, ok := p.(hardware.TextPrinter)
	if !ok {
		return problem("no_printer")
	}
	text := fmt.Sprintf("%s\nkasse %s\n%s\nÆØÅ æøå ÄÖ äö\n%s\n", v.StoreName, Version, strings.Repeat("-", v.PrinterWidth),
		m.Now().Format("2006-01-02 15:04"))
	if err := tp.PrintText(ctx, text); err != nil {
		m.Log.Warn("test print failed", "device", v.PrinterDevice, "err", err)
		return problem("print_failed")
	}
	m.Log.Info("test print", "device", v.PrinterDevice)
	return nil
}

// TestScan waits for one code from the serial scanner on port.
func (m *SetupManager) TestScan(ctx context.Context, port string) (string, error) {
	bus := hardware.NewBus(16)
	sc, err := hardware.NewSerialScanner(hardware.SerialConfig{Port: port}, bus)
	if err != nil {
		m.Log.Warn("test scan", "port", port, "err", err)
		return "", problem("scan_port")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go sc.Run(ctx)
	for {
		select {
		case <-ctx.Done():
			return "", problem("scan_timeout")
		case ev := <-bus.Events():
			switch e := ev.(type) {
			case hardware.Scan:
				m.Log.Info("test scan", "port", port, "kind", string(e.Kind))
				return e.Raw, nil
			case hardware.DeviceStatus:
				if !e.Connected && e.Err != nil {
					m.Log.Warn("test scan", "port", port, "err", e.Err)
					return "", problem("scan_port")
				}
			}
		}
	}
}

// sampleCatalog is where the packages put the sample catalogue (the .deb
// in its examples, the Windows installers beside kasse.exe); "" when it is
// not there (a build run from the source tree).
func sampleCatalog() string {
	places := []string{"/usr/share/doc/kasse/examples/catalog.csv"}
	if exe, err := os.Executable(); err == nil {
		places = append(places, filepath.Join(filepath.Dir(exe), "catalog-sample.csv"))
	}
	for _, p := range places {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// ImportCatalog adds or updates the products of a CSV file, as `kasse
// import-catalog` does: a file with any bad line imports nothing and every
// bad line is reported; price changes are journaled.
func (m *SetupManager) ImportCatalog(ctx context.Context, file string, progress func(done, total int)) (ui.CatalogReport, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	f, err := os.Open(file)
	if err != nil {
		m.Log.Warn("catalogue import", "file", file, "err", err)
		return ui.CatalogReport{}, problem("file")
	}
	defer func() { _ = f.Close() }() // read only
	ps, err := flow.ParseCatalogCSV(f)
	var rows flow.ImportErrors
	switch {
	case errors.As(err, &rows):
		m.Log.Info("catalogue refused", "file", file, "bad_lines", len(rows))
		return ui.CatalogReport{Rows: rows}, nil
	case err != nil:
		m.Log.Warn("catalogue import", "file", file, "err", err)
		return ui.CatalogReport{}, problem("file")
	}
	if stored, _, err := importProducts(ctx, m.DB, m.Journal, ps, progress); err != nil {
		m.Log.Error("catalogue import", "file", file, "stored", stored, "err", err)
		return ui.CatalogReport{Imported: stored}, problem("failed")
	}
	m.Log.Info("catalogue imported", "file", file, "products", len(ps))
	return ui.CatalogReport{Imported: len(ps)}, nil
}

// Finish writes the configuration and the keys, makes the first manager
// (on a till without cashiers) and sets the manager's PIN as the one that
// opens the settings: one PIN per person.
func (m *SetupManager) Finish(ctx context.Context, v ui.SetupValues) error {
	if _, ok := countryCurrency[v.Country]; !ok {
		return problem("country")
	}
	if err := m.CheckStore(v); err != nil {
		return err
	}
	if err := m.CheckVipps(v); err != nil {
		return err
	}
	if !flow.ValidPIN(v.ManagerPIN) {
		return problem("pin")
	}
	if err := m.save(v); err != nil {
		m.Log.Error("first-run assistant: saving the settings", "err", err)
		return problem("failed")
	}
	if !m.HasCashiers() {
		if _, err := m.Session.AddCashier(ctx, v.ManagerName, flow.RoleManager, v.ManagerPIN); err != nil {
			m.Log.Error("first-run assistant: the first manager", "err", err)
			return problem("failed")
		}
	}
	if err := m.Settings.SetPIN("", v.ManagerPIN); err != nil {
		m.Log.Error("first-run assistant: the settings PIN", "err", err)
		return problem("failed")
	}
	m.Log.Info("first-run assistant finished", "country", v.Country, "till", v.TillID, "vipps_env", v.VippsEnv, "lang", v.Lang)
	return nil
}

// save writes v to the config file and its secrets to the secret store.
func (m *SetupManager) save(v ui.SetupValues) error {
	s := m.Settings
	s.mu.Lock()
	defer s.mu.Unlock()
	next := *s.cfg
	next.Demo = false
	next.Lang = v.Lang
	next.Vipps.Currency = countryCurrency[v.Country]
	next.Vipps.Env = v.VippsEnv
	if v.VippsEnv != EnvSimulator {
		next.Vipps.MSN, next.Vipps.ClientID = v.MSN, v.ClientID
		for name, val := range map[string]string{SecretClientSecret: v.ClientSecret, SecretSubscriptionKey: v.SubscriptionKey} {
			if val == "" {
				continue // keep the stored one
			}
			if _, err := s.Secrets.Set(v.VippsEnv, name, val); err != nil {
				return fmt.Errorf("storing the %s: %w", name, err)
			}
		}
	}
	next.Store.Name, next.Store.OrgNumber, next.Store.Address, next.Store.POSID = v.StoreName, v.OrgNumber, v.Address, v.TillID
	next.Printer.Device, next.Printer.Width = v.PrinterDevice, v.PrinterWidth
	next.Scanners = setScanner(setScanner(next.Scanners, "cashier", v.CashierScanner, 0), "customer", v.CustomerScanner, 0)
	next.CustomerDisplay.Disabled = v.Display == ui.DisplayNone
	next.CustomerDisplay.Fullscreen = v.Display == ui.DisplayFullscreen
	if err := next.Save(s.File); err != nil {
		return err
	}
	*s.cfg = next
	return nil
}
