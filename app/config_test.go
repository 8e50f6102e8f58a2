package app

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigLayering(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.json")
	if err := os.WriteFile(file, []byte(`{"vipps":{"env":"test","msn":"654321","clientID":"from-file"},"store":{"name":"Fjellbutikken"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KASSE_VIPPS_CLIENT_SECRET", "s3cret")
	t.Setenv("KASSE_VIPPS_SUBSCRIPTION_KEY", "sub-key")
	t.Setenv("KASSE_VIPPS_MSN", "777777")

	cfg := DefaultConfig()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--data-dir", dir, "--client-id", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Load("", fs); err != nil {
		t.Fatal(err)
	}
	if cfg.Vipps.Env != EnvTest || cfg.Store.Name != "Fjellbutikken" {
		t.Errorf("file not applied: env=%q store=%q", cfg.Vipps.Env, cfg.Store.Name)
	}
	if cfg.Vipps.MSN != "777777" {
		t.Errorf("environment should override the file: msn=%q", cfg.Vipps.MSN)
	}
	if cfg.Vipps.ClientID != "from-flag" {
		t.Errorf("flag should override the file: client id=%q", cfg.Vipps.ClientID)
	}
	if cfg.VippsBaseURL() != "https://apitest.vipps.no" {
		t.Errorf("base URL %q", cfg.VippsBaseURL())
	}
}

func TestProductionNeedsEveryCredential(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Vipps.Env = EnvProduction
	cfg.Vipps.MSN = ""
	err := cfg.Validate()
	if err == nil {
		t.Fatal("production without credentials must not validate")
	}
	for _, want := range []string{"Merchant Serial Number", "client id", "client secret", "subscription key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestSecretsAreNeverWrittenToTheConfigFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Vipps.ClientSecret = "super-secret-value"
	cfg.Vipps.SubscriptionKey = "subscription-value"
	file := filepath.Join(t.TempDir(), "config.json")
	if err := cfg.Save(file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "super-secret-value") || strings.Contains(string(b), "subscription-value") {
		t.Fatalf("secret leaked into serialised config: %s", b)
	}
}

// The test and production environments are reached over https only: an
// http:// URL would send the client secret and customers' numbers in clear.
func TestVippsEnvironmentsRefusePlainHTTP(t *testing.T) {
	for _, env := range []string{EnvTest, EnvProduction} {
		cfg := DefaultConfig()
		cfg.Vipps.Env, cfg.Vipps.MSN, cfg.Vipps.ClientID = env, "123456", "0f6a8c3e-0000-4000-8000-000000000001"
		cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey = "s", "k"
		cfg.Vipps.BaseURL = "http://api.vipps.example"
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "not https") {
			t.Errorf("%s with an http URL: %v", env, err)
		}
		cfg.Vipps.BaseURL = "https://api.vipps.example"
		if err := cfg.Validate(); err != nil && strings.Contains(err.Error(), "https") {
			t.Errorf("%s with an https URL: %v", env, err)
		}
	}
}

// A Windows till's data made in the roaming %APPDATA% by an earlier
// release moves to %LOCALAPPDATA% once, and stays where it is when it
// cannot be moved.
func TestDataDirMovesOutOfTheRoamingProfile(t *testing.T) {
	base := t.TempDir()
	roaming, local := filepath.Join(base, "Roaming", "kasse"), filepath.Join(base, "Local", "kasse")
	if got := moveDataDir(roaming, local); got != local {
		t.Fatalf("new till: %s, want %s", got, local)
	}
	if err := os.MkdirAll(roaming, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(roaming, "kasse.db"), []byte("sales"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := moveDataDir(roaming, local); got != local {
		t.Fatalf("earlier release's data: %s, want %s", got, local)
	}
	if b, err := os.ReadFile(filepath.Join(local, "kasse.db")); err != nil || string(b) != "sales" {
		t.Fatalf("moved database: %q %v", b, err)
	}
	if _, err := os.Stat(roaming); !os.IsNotExist(err) {
		t.Errorf("the roaming copy is still there: %v", err)
	}
	// Both exist (moved already, an old copy came back): the local one wins.
	_ = os.MkdirAll(roaming, 0o700)
	if got := moveDataDir(roaming, local); got != local {
		t.Errorf("with both: %s", got)
	}
	// The new place cannot be made: the data stays where it is.
	_ = os.RemoveAll(local)
	blocked := filepath.Join(base, "file")
	_ = os.WriteFile(blocked, nil, 0o600)
	if got := moveDataDir(roaming, filepath.Join(blocked, "kasse")); got != roaming {
		t.Errorf("unmovable: %s, want %s", got, roaming)
	}
}

// The customer display speaks the market's language unless told another.
func TestCustomerDisplaySpeaksTheMarketsLanguage(t *testing.T) {
	for cur, want := range map[string]string{"NOK": "nb", "DKK": "da", "EUR": "fi"} {
		c := DefaultConfig()
		c.Lang = "en" // the cashier's
		c.Vipps.Currency = cur
		if got := c.CustomerLang(); got != want {
			t.Errorf("%s: %q, want %q", cur, got, want)
		}
		c.CustomerDisplay.Lang = "en"
		if got := c.CustomerLang(); got != "en" {
			t.Errorf("%s with customerDisplay.lang en: %q", cur, got)
		}
	}
	c := DefaultConfig()
	c.CustomerDisplay.Lang = "sv"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "customer display language") {
		t.Errorf("an unknown customer display language: %v", err)
	}
}
