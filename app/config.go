package app

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/kasse-pos/kasse/app/store"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Version is stamped at build time (-ldflags "-X github.com/kasse-pos/kasse/app.Version=…").
var Version = "dev"

// Vipps environments the till can talk to.
const (
	EnvSimulator  = "simulator"  // the built-in simulator (demo, development, training)
	EnvTest       = "test"       // Vipps MobilePay merchant test (apitest.vipps.no)
	EnvProduction = "production" // api.vipps.no: real money
)

// BaseURLs of the real Vipps MobilePay environments.
var BaseURLs = map[string]string{
	EnvTest:       "https://apitest.vipps.no",
	EnvProduction: "https://api.vipps.no",
}

// Config is everything the till needs to start. It is read from a JSON file
// in the data directory, then from KASSE_* environment variables, then from
// command-line flags (later wins). Secrets are never written back to the file.
type Config struct {
	DataDir  string `json:"-"`
	File     string `json:"-"`                  // the configuration file read, if any
	Database string `json:"database,omitempty"` // empty: SQLite in DataDir; otherwise a PostgreSQL DSN
	Demo     bool   `json:"demo,omitempty"`     // embedded simulator, demo catalog, customer-phone window
	Lang     string `json:"lang,omitempty"`     // nb, da, fi or en; empty: from the OS

	Vipps VippsConfig `json:"vipps"`
	Store StoreInfo   `json:"store"`

	// Webhook listener for Vipps events; empty Listen: status by polling only.
	Webhook WebhookConfig `json:"webhook"`

	Scanners        []ScannerConfig `json:"scanners,omitempty"`
	Printer         PrinterConfig   `json:"printer"`
	CustomerDisplay DisplayConfig   `json:"customerDisplay"`

	Backup BackupConfig `json:"backup"`

	Kiosk      bool   `json:"kiosk,omitempty"`      // cashier window full screen, for a dedicated till
	ManagerPIN string `json:"managerPIN,omitempty"` // salted hash of the PIN that opens the settings (settings.go)
}

// VippsConfig selects the Vipps environment and holds the sales unit's keys.
type VippsConfig struct {
	Env             string `json:"env"`               // simulator, test or production
	BaseURL         string `json:"baseURL,omitempty"` // overrides the environment's URL
	MSN             string `json:"msn"`               // Merchant Serial Number (sales unit)
	ClientID        string `json:"clientID"`
	ClientSecret    string `json:"-"` // from the keyring or KASSE_VIPPS_CLIENT_SECRET, never the file
	SubscriptionKey string `json:"-"` // from the keyring or KASSE_VIPPS_SUBSCRIPTION_KEY, never the file
	ClubName        string `json:"clubName,omitempty"`
	Currency        string `json:"currency,omitempty"` // NOK, DKK or EUR
	// PushDisabled: the sales unit is not enabled for push payment requests
	// (Vipps answers 5080), so the customer pays with the QR code on the
	// customer display. The till sets it on the first such refusal; turn it
	// off once Vipps MobilePay has enabled push.
	PushDisabled bool `json:"pushDisabled,omitempty"`
	// DelegatedConsents: the club has marketing consents set up in the
	// business portal; enrolment asks for them (scope delegatedConsents)
	// and keeps each member's answers. On in the demo.
	DelegatedConsents bool `json:"delegatedConsents,omitempty"`
}

// StoreInfo goes on receipts and into the SAF-T export.
type StoreInfo struct {
	Name      string `json:"name"`
	OrgNumber string `json:"orgNumber"`
	Address   string `json:"address"`
	POSID     string `json:"posID"` // this till's id, e.g. "pos1"
}

// WebhookConfig is where the till listens for Vipps webhooks, and the public
// URL that Vipps is told to call (they differ behind a reverse proxy).
type WebhookConfig struct {
	Listen    string `json:"listen,omitempty"`    // e.g. 127.0.0.1:8089
	PublicURL string `json:"publicURL,omitempty"` // e.g. https://till1.example.no/vipps/webhook
	// Via "hub": the chain's `kasse hub` receives Vipps' webhooks and the
	// till reads its events from the shared PostgreSQL (LISTEN/NOTIFY); it
	// registers no webhook of its own and polls only slowly, as a safety net.
	Via string `json:"via,omitempty"`
}

// WebhookViaHub is WebhookConfig.Via for tills of a chain behind `kasse hub`.
const WebhookViaHub = "hub"

// ScannerConfig is one serial barcode/QR scanner.
type ScannerConfig struct {
	Name   string `json:"name"`   // "cashier" or "customer"
	Port   string `json:"port"`   // /dev/ttyACM0, COM3
	Baud   int    `json:"baud"`   // 9600 by default
	Suffix string `json:"suffix"` // CR, LF, CRLF, or a literal terminator
}

// PrinterConfig is the ESC/POS receipt printer; an empty Device prints nowhere.
type PrinterConfig struct {
	Device string `json:"device,omitempty"` // serial port or device/file path
	Baud   int    `json:"baud,omitempty"`
	Width  int    `json:"width,omitempty"` // characters per line (42 on 80 mm paper)
}

// DisplayConfig places the customer-facing window.
type DisplayConfig struct {
	Disabled   bool `json:"disabled,omitempty"`
	Fullscreen bool `json:"fullscreen,omitempty"`
	// Lang is what the display speaks to a customer the till knows no
	// language of; empty: the sales unit's market's (NOK nb, DKK da, EUR fi).
	Lang string `json:"lang,omitempty"`
	X    int    `json:"x"` // top-left corner on the virtual desktop, -1: automatic (0 is a place, so never omitted)
	Y    int    `json:"y"`
}

// DefaultConfig is a working demo till: simulator, SQLite, Norwegian store.
func DefaultConfig() *Config {
	return &Config{
		DataDir:         DefaultDataDir(),
		Vipps:           VippsConfig{Env: EnvSimulator, MSN: "123456", ClientID: "kasse-demo", ClubName: "Kasse kundeklubb", Currency: "NOK"},
		Store:           StoreInfo{Name: "Demobutikken AS", OrgNumber: "999999999", Address: "Storgata 1, 0155 Oslo", POSID: "pos1"},
		Printer:         PrinterConfig{Width: 42},
		CustomerDisplay: DisplayConfig{X: -1, Y: -1},
	}
}

// DefaultDataDir is the per-user data directory (XDG_DATA_HOME on Linux,
// %LOCALAPPDATA% on Windows: a roaming profile would copy a live database
// between machines. A data directory an earlier release made in %APPDATA%
// is moved there on first use).
func DefaultDataDir() string {
	if d := os.Getenv("KASSE_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "kasse")
	}
	if runtime.GOOS == "windows" {
		if local := os.Getenv("LOCALAPPDATA"); local != "" {
			roaming := ""
			if d, err := os.UserConfigDir(); err == nil {
				roaming = filepath.Join(d, "kasse")
			}
			return moveDataDir(roaming, filepath.Join(local, "kasse"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil && filepath.Separator == '/' {
		return filepath.Join(home, ".local", "share", "kasse")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "kasse")
	}
	return "kasse-data"
}

// moveDataDir is where the data is: to, after moving from there when only
// from exists. A move that fails (the old till still running, another
// drive) leaves the data where it was, and from is used.
func moveDataDir(from, to string) string {
	if _, err := os.Stat(to); err == nil || from == "" {
		return to
	}
	if _, err := os.Stat(from); err != nil {
		return to
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return from
	}
	if err := os.Rename(from, to); err != nil {
		return from
	}
	return to
}

// RegisterFlags exposes the settings a person changes most on the command line.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the database, configuration and logs")
	fs.StringVar(&c.Database, "db", c.Database, "PostgreSQL DSN for a shared chain database (default: SQLite in the data directory)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "demo mode: built-in Vipps simulator, demo catalog and a customer-phone window")
	fs.StringVar(&c.Lang, "lang", c.Lang, "cashier language: nb, da, fi or en (default: from the system)")
	fs.StringVar(&c.Vipps.Env, "vipps-env", c.Vipps.Env, "Vipps environment: simulator, test or production")
	fs.StringVar(&c.Vipps.BaseURL, "vipps-url", c.Vipps.BaseURL, "override the Vipps API base URL (e.g. an external simulator)")
	fs.StringVar(&c.Vipps.MSN, "msn", c.Vipps.MSN, "Merchant Serial Number of the sales unit")
	fs.StringVar(&c.Store.POSID, "till-id", c.Store.POSID, "this till's id, unique in the chain (store.posID); it leads every payment reference")
	fs.StringVar(&c.Vipps.ClientID, "client-id", c.Vipps.ClientID, "Vipps client_id (the secret and subscription key come from the keyring or environment)")
	fs.StringVar(&c.Webhook.Listen, "webhook-listen", c.Webhook.Listen, "address for the Vipps webhook listener, e.g. 127.0.0.1:8089 (default: polling only)")
	fs.StringVar(&c.Webhook.PublicURL, "webhook-url", c.Webhook.PublicURL, "public URL Vipps calls for webhooks")
	fs.StringVar(&c.Webhook.Via, "webhook-via", c.Webhook.Via, `"hub": take Vipps' events from the chain's kasse hub through the shared PostgreSQL (--db)`)
	fs.BoolVar(&c.Kiosk, "kiosk", c.Kiosk, "kiosk mode: the cashier window fills the screen")
}

// Load merges the config file, the environment and the flags that were set
// on the command line (in that order), then validates the result.
func (c *Config) Load(file string, fs *flag.FlagSet) error {
	// The flags point into c, so remember what was given before the file
	// and the environment overwrite it.
	given := map[string]string{}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })
	}
	if file == "" {
		file = filepath.Join(c.DataDir, "config.json")
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			file = ""
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return &ConfigError{File: file, Problems: []string{fmt.Sprintf("reading %s: %v", file, err)}}
		}
		if err := json.Unmarshal(b, c); err != nil {
			return &ConfigError{File: file, Problems: []string{fmt.Sprintf("configuration file %s: %v", file, err)}}
		}
		c.File = file
	}
	c.applyEnv()
	// Flags given explicitly win over the file and the environment.
	for name, value := range given {
		if err := fs.Set(name, value); err != nil {
			return err
		}
	}
	// Secrets the environment did not give come from the keyring or its fallback file.
	if err := NewSecretStore(c.DataDir).Load(&c.Vipps); err != nil {
		return err
	}
	return c.Validate()
}

func (c *Config) applyEnv() {
	str := func(dst *string, key string) {
		if v, ok := os.LookupEnv(key); ok {
			*dst = v
		}
	}
	str(&c.Database, "KASSE_DB")
	str(&c.Vipps.Env, "KASSE_VIPPS_ENV")
	str(&c.Vipps.BaseURL, "KASSE_VIPPS_URL")
	str(&c.Vipps.MSN, "KASSE_VIPPS_MSN")
	str(&c.Vipps.ClientID, "KASSE_VIPPS_CLIENT_ID")
	str(&c.Vipps.ClientSecret, "KASSE_VIPPS_CLIENT_SECRET")
	str(&c.Vipps.SubscriptionKey, "KASSE_VIPPS_SUBSCRIPTION_KEY")
	str(&c.Lang, "KASSE_LANG")
}

// Validate checks the configuration and says exactly what is missing.
func (c *Config) Validate() error {
	var problems []string
	switch c.Vipps.Env {
	case EnvSimulator:
	case EnvTest, EnvProduction:
		if c.Demo {
			problems = append(problems, "demo mode runs against the simulator only (drop --demo or use --vipps-env simulator)")
		}
		if c.Vipps.MSN == "" {
			problems = append(problems, "the Merchant Serial Number (msn) is missing")
		}
		if c.Vipps.ClientID == "" || c.Vipps.ClientID == "kasse-demo" {
			problems = append(problems, "the Vipps client id is missing")
		}
		if c.Vipps.ClientSecret == "" {
			problems = append(problems, "the Vipps client secret is missing (enter it with `kasse settings`, or set KASSE_VIPPS_CLIENT_SECRET)")
		}
		if c.Vipps.SubscriptionKey == "" {
			problems = append(problems, "the Vipps subscription key is missing (enter it with `kasse settings`, or set KASSE_VIPPS_SUBSCRIPTION_KEY)")
		}
		problems = append(problems, credentialFormatProblems(c.Vipps)...)
		if u := c.VippsBaseURL(); !strings.HasPrefix(strings.ToLower(u), "https://") {
			// The client secret and every customer's phone number would
			// cross the network in clear.
			problems = append(problems, fmt.Sprintf("the Vipps URL %q is not https: the test and production environments are only reached over https", u))
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown Vipps environment %q (use simulator, test or production)", c.Vipps.Env))
	}
	switch c.Webhook.Via {
	case "":
	case WebhookViaHub:
		if !store.IsPostgresDSN(c.Database) {
			problems = append(problems, "webhook.via \"hub\" needs the chain's PostgreSQL database (database or --db): the events come through it")
		}
		if c.Webhook.Listen != "" {
			problems = append(problems, "webhook.via \"hub\" and webhook.listen exclude each other: the hub receives the webhooks")
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown webhook.via %q (leave it empty, or \"hub\")", c.Webhook.Via))
	}
	switch c.Lang {
	case "", "nb", "da", "fi", "en":
	default:
		problems = append(problems, fmt.Sprintf("unknown language %q (use nb, da, fi or en)", c.Lang))
	}
	switch c.CustomerDisplay.Lang {
	case "", "nb", "da", "fi", "en":
	default:
		problems = append(problems, fmt.Sprintf("unknown customer display language %q (use nb, da, fi or en)", c.CustomerDisplay.Lang))
	}
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	return nil
}

// ConfigError is a configuration the till cannot start with: each problem
// says what is missing and where to enter it.
type ConfigError struct {
	File     string // the configuration file, when it could not be read
	Problems []string
}

func (e *ConfigError) Error() string { return "configuration: " + strings.Join(e.Problems, "; ") }

// VippsBaseURL is the API base URL for the configured environment.
func (c *Config) VippsBaseURL() string {
	if c.Vipps.BaseURL != "" {
		return strings.TrimRight(c.Vipps.BaseURL, "/")
	}
	return BaseURLs[c.Vipps.Env]
}

// Save writes the configuration file, readable only by the user. Secrets are
// not part of it (they live in the keyring).
func (c *Config) Save(file string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// CustomerLang is the customer display's language for customers whose own
// the till does not know: the configured one, else the market's.
func (c *Config) CustomerLang() string {
	if c.CustomerDisplay.Lang != "" {
		return c.CustomerDisplay.Lang
	}
	switch c.Vipps.Currency {
	case "DKK":
		return "da"
	case "EUR":
		return "fi"
	}
	return "nb"
}

// LoginScopes are what enrolment asks the customer to share: name, phone
// number, e-mail and birth date (for age-limited goods), and the club's
// marketing consents when the sales unit has them (or in the demo).
func (c *Config) LoginScopes() []string {
	scopes := []string{"openid", "name", "phoneNumber", "email", "birthDate"}
	if c.Vipps.DelegatedConsents || c.Demo {
		scopes = append(scopes, "delegatedConsents")
	}
	return scopes
}

// ConfigFlags registers --config and the configuration's flags on fs, the
// one prologue of every command that runs a till or opens its database.
// load, called once fs has parsed, merges the file, the environment and
// the flags given (Load).
func ConfigFlags(fs *flag.FlagSet) (cfg *Config, load func() error) {
	cfg = DefaultConfig()
	file := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	return cfg, func() error { return cfg.Load(*file, fs) }
}
