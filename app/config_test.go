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
