package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui"
	"github.com/kasse-pos/kasse/vipps"
)

var _ ui.SettingsService = (*SettingsManager)(nil)

var (
	msnPattern = regexp.MustCompile(`^[0-9]{4,7}$`) // ePayment 1.7.0; older APIs say 4–6
	pinPattern = regexp.MustCompile(`^[0-9]{4,8}$`)
)

// credentialFormatProblems catches keys that cannot work, mostly copy-paste
// slips (a trailing space or newline) that Vipps would answer with a bare 401.
// It never quotes a secret.
func credentialFormatProblems(v VippsConfig) []string {
	var p []string
	if v.MSN != "" && !msnPattern.MatchString(v.MSN) {
		p = append(p, fmt.Sprintf("the Merchant Serial Number %q is not 4–7 digits", v.MSN))
	}
	for _, c := range []struct{ what, value string }{
		{"client id", v.ClientID}, {"client secret", v.ClientSecret}, {"subscription key", v.SubscriptionKey},
	} {
		if strings.IndexFunc(c.value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			p = append(p, "the Vipps "+c.what+" contains spaces or line breaks")
		}
	}
	return p
}

// OrgNumberProblem checks the organisation number of the store's country,
// told by its currency: Norway (9 digits, modulus 11), Denmark (CVR, 8
// digits), Finland (Y-tunnus 1234567-8). It returns "" when it is fine.
func OrgNumberProblem(currency, org string) string {
	return orgProblemTexts[orgNumberCode(currency, org)]
}

// orgProblemTexts are the English texts of orgNumberCode's codes; the
// windows show the translations setup.problem.<code>.
var orgProblemTexts = map[string]string{
	"":              "",
	"org_digits_no": "the organisation number must have 9 digits",
	"org_check_no":  "the organisation number's check digit is wrong (a typing error?)",
	"org_digits_dk": "the CVR number must have 8 digits",
	"org_format_fi": "the business ID (Y-tunnus) must look like 1234567-8",
}

// orgNumberCode is OrgNumberProblem as a code: "" when the number is fine.
func orgNumberCode(currency, org string) string {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' {
			return -1
		}
		return r
	}, org)
	switch currency {
	case "NOK":
		digits = strings.TrimSuffix(strings.TrimPrefix(digits, "NO"), "MVA")
		if len(digits) != 9 || strings.Trim(digits, "0123456789") != "" {
			return "org_digits_no"
		}
		weights := []int{3, 2, 7, 6, 5, 4, 3, 2}
		sum := 0
		for i, w := range weights {
			sum += int(digits[i]-'0') * w
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check == 10 || check != int(digits[8]-'0') {
			return "org_check_no"
		}
	case "DKK":
		digits = strings.TrimPrefix(digits, "DK")
		if len(digits) != 8 || strings.Trim(digits, "0123456789") != "" {
			return "org_digits_dk"
		}
	case "EUR":
		if !finnishBusinessID.MatchString(digits) {
			return "org_format_fi"
		}
	}
	return ""
}

var finnishBusinessID = regexp.MustCompile(`^[0-9]{7}-[0-9]$`)

// settingsPINID is the manager PIN's id in the PIN lockout: after
// repeated wrong PINs the settings stay locked by flow's rule
// (flow.GuardPIN), so a cashier cannot try all PINs at the till. Cashiers'
// ids start at 1.
const settingsPINID = -1

// SettingsManager is the settings screen's service: it reads and writes the
// config file (without secrets), keeps the secrets in a SecretStore and checks
// the manager PIN.
type SettingsManager struct {
	File    string // config.json
	Secrets *SecretStore
	Now     func() time.Time
	Log     *slog.Logger // connection tests; nil: none
	// Lockout counts wrong manager PINs: the till's database at the till
	// (the count holds across restarts), else this process only.
	Lockout flow.PINLockout
	// Managers lists the till's cashiers: any active manager's own PIN
	// opens the settings (one PIN per person). nil: only the settings PIN
	// chosen on a till without cashiers.
	Managers func(ctx context.Context) ([]flow.Cashier, error)

	mu  sync.Mutex
	cfg *Config // the file's content over the defaults: no flags, no environment
}

// NewSettingsManager reads the config file in dataDir (or file, when given).
// Flags and environment variables are deliberately not applied: saving must
// not write a one-off --vipps-env into the file.
func NewSettingsManager(dataDir, file string) (*SettingsManager, error) {
	if file == "" {
		file = filepath.Join(dataDir, "config.json")
	}
	cfg, err := readSettingsFile(dataDir, file)
	if err != nil {
		return nil, err
	}
	return &SettingsManager{File: file, Secrets: NewSecretStore(dataDir), Now: time.Now, Lockout: flow.NewMemoryLockout(), cfg: cfg}, nil
}

// readSettingsFile is the configuration file over the defaults.
func readSettingsFile(dataDir, file string) (*Config, error) {
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("reading configuration: %w", err)
	default:
		if err := json.Unmarshal(b, cfg); err != nil {
			return nil, fmt.Errorf("configuration file %s: %w", file, err)
		}
	}
	return cfg, nil
}

// refreshLocked takes from the file what the running till writes to it
// behind the settings (the switch to QR when Vipps refuses push): a form
// saved from an older copy would undo it.
func (m *SettingsManager) refreshLocked() {
	if cfg, err := readSettingsFile(m.cfg.DataDir, m.File); err == nil {
		m.cfg.Vipps.PushDisabled = cfg.Vipps.PushDisabled
	}
}

// FirstRun is true until the first-run assistant (or the settings) chose
// the settings PIN.
func (m *SettingsManager) FirstRun() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.ManagerPIN == "" // set when the assistant finishes
}

// HasPIN reports whether a PIN opens the settings: the settings PIN, or
// a manager's own.
func (m *SettingsManager) HasPIN() bool {
	m.mu.Lock()
	set := m.cfg.ManagerPIN != ""
	m.mu.Unlock()
	return set || len(m.managers(context.Background())) > 0
}

// managers are the active managers with a PIN; none when they cannot be
// read (the settings PIN still works).
func (m *SettingsManager) managers(ctx context.Context) []flow.Cashier {
	if m.Managers == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	all, err := m.Managers(ctx)
	if err != nil {
		if m.Log != nil {
			m.Log.Error("reading the managers for the settings PIN", "err", err)
		}
		return nil
	}
	var out []flow.Cashier
	for _, c := range all {
		if c.Active && c.Role == flow.RoleManager && c.PINHash != "" {
			out = append(out, c)
		}
	}
	return out
}

// pinOpens reports whether pin is the settings PIN or a manager's own.
func (m *SettingsManager) pinOpens(ctx context.Context, pin string) bool {
	m.mu.Lock()
	h := m.cfg.ManagerPIN
	m.mu.Unlock()
	if h != "" && flow.CheckPIN(h, pin) {
		return true
	}
	for _, c := range m.managers(ctx) {
		if flow.CheckPIN(c.PINHash, pin) {
			return true
		}
	}
	return false
}

// CheckPIN checks a PIN that opens the settings (the settings PIN or any
// active manager's own), locking the settings after repeated failures.
func (m *SettingsManager) CheckPIN(pin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := m.Now()
	err := flow.GuardPIN(ctx, m.Lockout, settingsPINID, now, func() (bool, error) {
		return m.pinOpens(ctx, pin), nil
	})
	if !errors.Is(err, flow.ErrCashierLocked) && !errors.Is(err, flow.ErrWrongPIN) {
		return err
	}
	until, lerr := m.Lockout.LockedUntil(ctx, settingsPINID)
	switch {
	case lerr != nil:
		return lerr
	case errors.Is(err, flow.ErrCashierLocked):
		secs := strconv.Itoa(int(until.Sub(now).Seconds() + 0.999))
		return &ui.Problem{Key: "settings.problem.locked", Args: map[string]string{"Seconds": secs},
			Text: "too many wrong PINs: try again in " + secs + " seconds"}
	case now.Before(until):
		// This wrong PIN locked the settings.
		secs := strconv.Itoa(int(until.Sub(now).Seconds() + 0.999))
		return &ui.Problem{Key: "settings.problem.locked_now", Args: map[string]string{"Seconds": secs},
			Text: "wrong PIN; the settings are locked for " + secs + " seconds"}
	}
	return &ui.Problem{Key: "settings.problem.wrong_pin", Text: "wrong PIN"}
}

// SetPIN sets the manager PIN on the first run, or changes it when current
// is the PIN in force.
func (m *SettingsManager) SetPIN(current, pin string) error {
	if !pinPattern.MatchString(pin) {
		return &ui.Problem{Key: "setup.problem.pin", Text: "the PIN must be 4 to 8 digits"}
	}
	if m.HasPIN() {
		if err := m.CheckPIN(current); err != nil {
			var p *ui.Problem
			if errors.As(err, &p) && p.Key == "settings.problem.wrong_pin" {
				return &ui.Problem{Key: "settings.problem.current_pin", Text: "current PIN: wrong PIN"}
			}
			return err
		}
	}
	h, err := flow.HashPIN(pin) // the same salted PBKDF2 as cashiers' PINs
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.ManagerPIN = h
	return m.cfg.Save(m.File)
}

// Settings returns what the settings screen shows; secrets only as "stored".
func (m *SettingsManager) Settings() ui.Settings {
	m.mu.Lock()
	m.refreshLocked()
	c := *m.cfg
	m.mu.Unlock()
	s := ui.Settings{
		VippsEnv:      c.Vipps.Env,
		MSN:           c.Vipps.MSN,
		ClientID:      c.Vipps.ClientID,
		PrinterDevice: c.Printer.Device,
		PrinterWidth:  c.Printer.Width,
		PrinterBaud:   c.Printer.Baud,
		StoreName:     c.Store.Name,
		OrgNumber:     c.Store.OrgNumber,
		Address:       c.Store.Address,
		Country:       countryOf(c.Vipps.Currency),
		TillID:        c.Store.POSID,
		Lang:          c.Lang,
		Display:       displayOf(c.CustomerDisplay),
		PushOff:       c.Vipps.PushDisabled,
		ClubConsents:  c.Vipps.DelegatedConsents,
	}
	for _, sc := range c.Scanners {
		switch sc.Name {
		case "cashier":
			s.CashierScanner, s.CashierScannerBaud = sc.Port, sc.Baud
		case "customer":
			s.CustomerScanner, s.CustomerScannerBaud = sc.Port, sc.Baud
		}
	}
	if c.Vipps.Env == EnvTest || c.Vipps.Env == EnvProduction {
		v, _ := m.Secrets.Get(c.Vipps.Env, SecretClientSecret)
		s.ClientSecretSet = v != ""
		v, _ = m.Secrets.Get(c.Vipps.Env, SecretSubscriptionKey)
		s.SubscriptionKeySet = v != ""
	}
	return s
}

// SaveSettings validates s, stores its secrets (keyring or fallback file) and
// writes the rest to the config file. Nothing is written when s is invalid;
// the refusal is ui.Problems, one for each wrong field.
func (m *SettingsManager) SaveSettings(s ui.Settings) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshLocked()
	next := *m.cfg
	next.Vipps.Env = s.VippsEnv
	next.Vipps.MSN = s.MSN
	next.Vipps.ClientID = s.ClientID
	next.Vipps.ClientSecret, next.Vipps.SubscriptionKey = s.ClientSecret, s.SubscriptionKey
	if cur, ok := countryCurrency[s.Country]; ok {
		next.Vipps.Currency = cur
	}
	next.Lang = s.Lang
	if s.TillID != "" || next.Store.POSID == "" {
		next.Store.POSID = s.TillID
	}
	real := s.VippsEnv == EnvTest || s.VippsEnv == EnvProduction
	if real {
		next.Demo = false // demo mode is simulator-only; choosing real Vipps ends it
		// Keep stored secrets the manager left empty.
		if err := m.Secrets.Load(&next.Vipps); err != nil {
			return err
		}
	}
	problems := formProblems(next, s)
	if len(problems) == 0 {
		// Anything else the till would refuse to start with.
		var ce *ConfigError
		if err := next.Validate(); errors.As(err, &ce) {
			for _, p := range ce.Problems {
				problems = append(problems, &ui.Problem{Key: "settings.problem.config", Args: map[string]string{"Problem": p}, Text: p})
			}
		}
	}
	if len(problems) > 0 {
		return problems
	}

	if real {
		for name, v := range map[string]string{SecretClientSecret: s.ClientSecret, SecretSubscriptionKey: s.SubscriptionKey} {
			if v == "" {
				continue
			}
			if _, err := m.Secrets.Set(s.VippsEnv, name, v); err != nil {
				return fmt.Errorf("storing the %s: %w", name, err)
			}
		}
	}
	next.Vipps.ClientSecret, next.Vipps.SubscriptionKey = "", ""
	next.Store.Name, next.Store.OrgNumber, next.Store.Address = s.StoreName, s.OrgNumber, s.Address
	next.Printer.Device, next.Printer.Width, next.Printer.Baud = s.PrinterDevice, s.PrinterWidth, s.PrinterBaud
	next.Scanners = setScanner(setScanner(next.Scanners, "cashier", s.CashierScanner, s.CashierScannerBaud), "customer", s.CustomerScanner, s.CustomerScannerBaud)
	if s.Display != "" {
		next.CustomerDisplay.Disabled = s.Display == ui.DisplayNone
		next.CustomerDisplay.Fullscreen = s.Display == ui.DisplayFullscreen
	}
	next.Vipps.PushDisabled, next.Vipps.DelegatedConsents = s.PushOff, s.ClubConsents
	if err := next.Save(m.File); err != nil {
		return err
	}
	*m.cfg = next
	return nil
}

// formProblems are the settings form's wrong fields, each with the key of
// its translation and the English for the log. It never quotes a secret.
func formProblems(next Config, s ui.Settings) ui.Problems {
	var ps ui.Problems
	seen := map[string]bool{}
	add := func(key, text string) {
		if !seen[key] { // the keys' text names all three at once
			seen[key] = true
			ps = append(ps, &ui.Problem{Key: key, Text: text})
		}
	}
	v := next.Vipps
	switch v.Env {
	case EnvSimulator:
	case EnvTest, EnvProduction:
		if !msnPattern.MatchString(v.MSN) {
			add("setup.problem.msn", fmt.Sprintf("the Merchant Serial Number %q is not 4–7 digits", v.MSN))
		}
		for _, c := range []struct{ what, value string }{
			{"client id", v.ClientID}, {"client secret", v.ClientSecret}, {"subscription key", v.SubscriptionKey},
		} {
			if c.value == "" || (c.what == "client id" && c.value == DefaultConfig().Vipps.ClientID) {
				add("setup.problem.keys_missing", "the Vipps "+c.what+" is missing")
			}
		}
		if len(credentialFormatProblems(VippsConfig{ClientID: v.ClientID, ClientSecret: v.ClientSecret, SubscriptionKey: v.SubscriptionKey})) > 0 {
			add("setup.problem.keys_spaces", strings.Join(credentialFormatProblems(v), "; "))
		}
	default:
		add("settings.problem.env", fmt.Sprintf("unknown Vipps environment %q", v.Env))
	}
	if strings.TrimSpace(s.StoreName) == "" {
		add("setup.problem.store_name", "the store name is missing (it is printed on every receipt)")
	}
	if code := orgNumberCode(v.Currency, s.OrgNumber); code != "" {
		add("setup.problem."+code, orgProblemTexts[code])
	}
	if !tillIDPattern.MatchString(next.Store.POSID) {
		add("setup.problem.till_id", fmt.Sprintf("the till id %q is not 1–16 letters, digits and dashes", next.Store.POSID))
	}
	if s.PrinterWidth < 24 || s.PrinterWidth > 80 {
		add("setup.problem.width", "characters per line must be between 24 and 80")
	}
	return ps
}

// countryOf is the country whose currency cur is; "" for none.
func countryOf(cur string) string {
	for country, c := range countryCurrency {
		if c == cur {
			return country
		}
	}
	return ""
}

// displayOf is how the customer display is placed, in the settings' words.
func displayOf(d DisplayConfig) string {
	switch {
	case d.Disabled:
		return ui.DisplayNone
	case d.Fullscreen:
		return ui.DisplayFullscreen
	}
	return ui.DisplayBeside
}

// TestVipps tries the form's keys (the stored ones where the form has
// none) against its environment; the error behind a refusal is logged.
func (m *SettingsManager) TestVipps(ctx context.Context, s ui.Settings) string {
	vc := VippsConfig{Env: s.VippsEnv, MSN: s.MSN, ClientID: s.ClientID, ClientSecret: s.ClientSecret, SubscriptionKey: s.SubscriptionKey}
	if err := m.Secrets.Load(&vc); err != nil {
		m.log().Error("reading the stored Vipps keys", "err", err)
		return vipps.ConnectionFailed.String()
	}
	m.mu.Lock()
	base := m.cfg.Vipps.BaseURL
	m.mu.Unlock()
	if base == "" {
		base = BaseURLs[s.VippsEnv]
	}
	conn, err := checkConnection(ctx, vc, strings.TrimRight(base, "/"), m.log())
	m.log().Info("Vipps connection test from the settings", "env", s.VippsEnv, "msn", vc.MSN, "result", conn.String(), "err", err)
	return conn.String()
}

// Brand is what the country's market calls the app and the company today.
func (m *SettingsManager) Brand(country string) ui.Brand {
	b := vipps.BrandFor(vipps.MarketOf(countryCurrency[country]), m.Now())
	return ui.Brand{App: b.App, Company: b.Company}
}

func (m *SettingsManager) log() *slog.Logger {
	if m.Log != nil {
		return m.Log
	}
	return slog.New(slog.DiscardHandler)
}

// setScanner sets the port of the scanner called name, keeping its other
// settings; an empty port removes it.
func setScanner(list []ScannerConfig, name, port string, baud int) []ScannerConfig {
	out := make([]ScannerConfig, 0, len(list)+1)
	found := false
	for _, sc := range list {
		if sc.Name == name {
			found = true
			if port == "" {
				continue
			}
			sc.Port = port
			if baud > 0 {
				sc.Baud = baud
			}
		}
		out = append(out, sc)
	}
	if !found && port != "" {
		if baud <= 0 {
			baud = 9600
		}
		out = append(out, ScannerConfig{Name: name, Port: port, Baud: baud, Suffix: "CR"})
	}
	return out
}

// RunSettings opens the settings screen in a window of its own and blocks
// until it is closed or ctx ends. It needs no valid configuration, so it is
// the way in when the till refuses to start for want of credentials.
func RunSettings(ctx context.Context, dataDir, file string) error {
	m, err := NewSettingsManager(dataDir, file)
	if err != nil {
		return err
	}
	if log, closeLog, err := newLogger(dataDir, LogOptions{}, nil); err == nil {
		defer closeLog()
		m.Log = log // connection tests are logged with their errors
	}
	a := fyneapp.NewWithID(AppID)
	w := ui.ShowSettingsWindow(a, m)
	w.SetMaster()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	a.Run()
	return nil
}
