package app

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// memKeyring is an OS keyring in memory; broken makes every call fail the way
// go-keyring does on a till without a Secret Service.
type memKeyring struct {
	m      map[string]string
	broken bool
}

var errNoKeyring = errors.New(`exec: "dbus-launch": executable file not found in $PATH`)

func (k *memKeyring) Get(s, u string) (string, error) {
	if k.broken {
		return "", errNoKeyring
	}
	v, ok := k.m[s+"/"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(s, u, p string) error {
	if k.broken {
		return errNoKeyring
	}
	k.m[s+"/"+u] = p
	return nil
}

func (k *memKeyring) Delete(s, u string) error {
	if k.broken {
		return errNoKeyring
	}
	delete(k.m, s+"/"+u)
	return nil
}

func TestSecretsGoToTheKeyringWhenThereIsOne(t *testing.T) {
	dir := t.TempDir()
	kr := &memKeyring{m: map[string]string{}}
	s := &SecretStore{Keyring: kr, File: filepath.Join(dir, SecretsFileName)}
	where, err := s.Set(EnvProduction, SecretClientSecret, "prod-secret")
	if err != nil || where != "keyring" {
		t.Fatalf("Set: where=%q err=%v", where, err)
	}
	if _, err := os.Stat(s.File); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no fallback file may be written while the keyring works (stat: %v)", err)
	}
	if got, _ := s.Get(EnvProduction, SecretClientSecret); got != "prod-secret" {
		t.Errorf("Get = %q", got)
	}
	if got, _ := s.Get(EnvTest, SecretClientSecret); got != "" {
		t.Errorf("the test environment must not see the production secret, got %q", got)
	}
}

func TestSecretsFallBackToAUserOnlyFile(t *testing.T) {
	dir := t.TempDir()
	s := &SecretStore{Keyring: &memKeyring{broken: true}, File: filepath.Join(dir, SecretsFileName)}
	where, err := s.Set(EnvTest, SecretSubscriptionKey, "sub-key-1")
	if err != nil || where != s.File {
		t.Fatalf("Set: where=%q err=%v", where, err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(s.File)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("fallback file mode %04o, want 0600", st.Mode().Perm())
		}
	}
	if got, err := s.Get(EnvTest, SecretSubscriptionKey); err != nil || got != "sub-key-1" {
		t.Errorf("Get = %q, %v", got, err)
	}
	// Clearing the last secret removes the file.
	if _, err := s.Set(EnvTest, SecretSubscriptionKey, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.File); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty fallback file should be removed (stat: %v)", err)
	}
}

func TestMovingToTheKeyringRemovesTheFileCopy(t *testing.T) {
	dir := t.TempDir()
	kr := &memKeyring{m: map[string]string{}, broken: true}
	s := &SecretStore{Keyring: kr, File: filepath.Join(dir, SecretsFileName)}
	if _, err := s.Set(EnvProduction, SecretClientSecret, "old"); err != nil {
		t.Fatal(err)
	}
	kr.broken = false // e.g. the till now runs a desktop session
	if _, err := s.Set(EnvProduction, SecretClientSecret, "new"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(s.File); err == nil {
		t.Errorf("the old secret stayed in the file: %s", b)
	}
}

func TestSecretsFileReadableByOthersIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, SecretsFileName)
	if err := os.WriteFile(file, []byte(`{"vipps-production-clientSecret":"leaked"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &SecretStore{Keyring: &memKeyring{broken: true}, File: file}
	_, err := s.Get(EnvProduction, SecretClientSecret)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("want a refusal that says how to fix it, got %v", err)
	}
	if strings.Contains(err.Error(), "leaked") {
		t.Errorf("the error quotes the secret: %v", err)
	}
}

func TestTillStartsWithSecretsFromTheStore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KASSE_DATA_DIR", dir)
	os.Unsetenv("KASSE_VIPPS_CLIENT_SECRET")
	os.Unsetenv("KASSE_VIPPS_SUBSCRIPTION_KEY")
	// Load asks the OS keyring first; it holds nothing for kasse here, so the
	// keys must come from the fallback file, as on a till without a keyring.
	file := filepath.Join(dir, SecretsFileName)
	s := &SecretStore{File: file}
	for name, v := range map[string]string{SecretClientSecret: "cs-123", SecretSubscriptionKey: "sk-456"} {
		if _, err := s.Set(EnvProduction, name, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"vipps":{"env":"production","msn":"123456","clientID":"5b7f1c9e-0a7e-4b8e-9f6c-2f1d2e3c4b5a"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := cfg.Load("", fs); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Vipps.ClientSecret != "cs-123" || cfg.Vipps.SubscriptionKey != "sk-456" {
		t.Errorf("secrets not loaded: %q %q", cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey)
	}
}
