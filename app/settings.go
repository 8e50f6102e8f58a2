package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui"
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

// After maxPINFailures wrong PINs in a row the settings stay locked for
// pinLockout, so a cashier cannot try all PINs at the till.
const (
	maxPINFailures = 5
	pinLockout     = time.Minute
)

// SettingsManager is the settings screen's service: it reads and writes the
// config file (without secrets), keeps the secrets in a SecretStore and checks
// the manager PIN.
type SettingsManager struct {
	File    string // config.json
	Secrets *SecretStore
	Now     func() time.Time

	mu          sync.Mutex
	cfg         *Config // the file's content over the defaults: no flags, no environment
	failures    int
	lockedUntil time.Time
}

// NewSettingsManager reads the config file in dataDir (or file, when given).
// Flags and environment variables are deliberately not applied: saving must
// not write a one-off --vipps-env into the file.
func NewSettingsManager(dataDir, file string) (*SettingsManager, error) {
	if file == "" {
		file = filepath.Join(dataDir, "config.json")
	}
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
	return &SettingsManager{File: file, Secrets: NewSecretStore(dataDir), Now: time.Now, cfg: cfg}, nil
}

// FirstRun is true until a manager PIN has been chosen.
func (m *SettingsManager) FirstRun() bool { return !m.HasPIN() }

// HasPIN reports whether a manager PIN is set.
func (m *SettingsManager) HasPIN() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.ManagerPIN != ""
}

// CheckPIN checks the manager PIN, locking the settings after repeated failures.
func (m *SettingsManager) CheckPIN(pin string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.Now()
	if now.Before(m.lockedUntil) {
		return fmt.Errorf("too many wrong PINs: try again in %d seconds", int(m.lockedUntil.Sub(now).Seconds()+0.999))
	}
	if m.cfg.ManagerPIN != "" && flow.CheckPIN(m.cfg.ManagerPIN, pin) {
		m.failures = 0
		return nil
	}
	m.failures++
	if m.failures >= maxPINFailures {
		m.failures = 0
		m.lockedUntil = now.Add(pinLockout)
		return fmt.Errorf("wrong PIN; the settings are locked for %d seconds", int(pinLockout.Seconds()))
	}
	return errors.New("wrong PIN")
}

// SetPIN sets the manager PIN on the first run, or changes it when current
// is the PIN in force.
func (m *SettingsManager) SetPIN(current, pin string) error {
	if !pinPattern.MatchString(pin) {
		return errors.New("the PIN must be 4 to 8 digits")
	}
	if m.HasPIN() {
		if err := m.CheckPIN(current); err != nil {
			return fmt.Errorf("current PIN: %w", err)
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
	c := *m.cfg
	m.mu.Unlock()
	s := ui.Settings{
		VippsEnv:      c.Vipps.Env,
		MSN:           c.Vipps.MSN,
		ClientID:      c.Vipps.ClientID,
		PrinterDevice: c.Printer.Device,
		PrinterWidth:  c.Printer.Width,
		StoreName:     c.Store.Name,
		OrgNumber:     c.Store.OrgNumber,
		Address:       c.Store.Address,
	}
	for _, sc := range c.Scanners {
		switch sc.Name {
		case "cashier":
			s.CashierScanner = sc.Port
		case "customer":
			s.CustomerScanner = sc.Port
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
// writes the rest to the config file. Nothing is written when s is invalid.
func (m *SettingsManager) SaveSettings(s ui.Settings) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := *m.cfg
	next.Vipps.Env = s.VippsEnv
	next.Vipps.MSN = s.MSN
	next.Vipps.ClientID = s.ClientID
	next.Vipps.ClientSecret, next.Vipps.SubscriptionKey = s.ClientSecret, s.SubscriptionKey
	real := s.VippsEnv == EnvTest || s.VippsEnv == EnvProduction
	if real {
		next.Demo = false // demo mode is simulator-only; choosing real Vipps ends it
		// Keep stored secrets the manager left empty.
		if err := m.Secrets.Load(&next.Vipps); err != nil {
			return err
		}
	}
	var problems []string
	if err := next.Validate(); err != nil {
		problems = append(problems, strings.TrimPrefix(err.Error(), "configuration: "))
	}
	if strings.TrimSpace(s.StoreName) == "" {
		problems = append(problems, "the store name is missing (it is printed on every receipt)")
	}
	if p := OrgNumberProblem(next.Vipps.Currency, s.OrgNumber); p != "" {
		problems = append(problems, p)
	}
	if s.PrinterWidth < 24 || s.PrinterWidth > 80 {
		problems = append(problems, "characters per line must be between 24 and 80")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
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
	next.Printer.Device, next.Printer.Width = s.PrinterDevice, s.PrinterWidth
	next.Scanners = setScanner(setScanner(next.Scanners, "cashier", s.CashierScanner), "customer", s.CustomerScanner)
	if err := next.Save(m.File); err != nil {
		return err
	}
	*m.cfg = next
	return nil
}

// setScanner sets the port of the scanner called name, keeping its other
// settings; an empty port removes it.
func setScanner(list []ScannerConfig, name, port string) []ScannerConfig {
	out := make([]ScannerConfig, 0, len(list)+1)
	found := false
	for _, sc := range list {
		if sc.Name == name {
			found = true
			if port == "" {
				continue
			}
			sc.Port = port
		}
		out = append(out, sc)
	}
	if !found && port != "" {
		out = append(out, ScannerConfig{Name: name, Port: port, Baud: 9600, Suffix: "CR"})
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
