package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/zalando/go-keyring"
)

// The Vipps credentials that must never reach the config file, the logs or
// the database.
const (
	SecretClientSecret    = "clientSecret"
	SecretSubscriptionKey = "subscriptionKey"
)

// keyringService names kasse's entries in the OS keyring (Windows Credential
// Manager, macOS Keychain, the Secret Service on Linux desktops).
const keyringService = AppID

// SecretsFileName is the fallback store in the data directory.
const SecretsFileName = "secrets.json"

// Keyring is the part of an OS keyring kasse uses; zalando/go-keyring's
// package functions satisfy it through osKeyring.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// SecretStore keeps the client secret and subscription key of each Vipps
// environment. It prefers the OS keyring. Many tills have none: a Linux
// kiosk session without a desktop runs no Secret Service daemon (and no D-Bus
// session bus), so go-keyring fails there. Then, and only then, the secrets go
// to secrets.json in the data directory, created with mode 0600 so that only
// the till's OS user can read it; kasse refuses to read that file when group
// or others can read it. On Windows the Credential Manager is always present,
// so the file is not used there in practice.
type SecretStore struct {
	Keyring Keyring
	File    string // the fallback file (secrets.json in the data directory)
}

// NewSecretStore uses the OS keyring, falling back to a file in dataDir.
func NewSecretStore(dataDir string) *SecretStore {
	return &SecretStore{Keyring: osKeyring{}, File: filepath.Join(dataDir, SecretsFileName)}
}

// keyringUser scopes a secret by environment: test and production keys are
// different and a till may switch between them.
func keyringUser(env, name string) string { return "vipps-" + env + "-" + name }

// Get returns a secret of env, "" when none is stored anywhere.
func (s *SecretStore) Get(env, name string) (string, error) {
	if s.Keyring != nil {
		v, err := s.Keyring.Get(keyringService, keyringUser(env, name))
		if err == nil {
			return v, nil
		}
	}
	// Not in the keyring, or no keyring: the fallback file may have it.
	m, err := s.readFile()
	if err != nil {
		return "", err
	}
	return m[keyringUser(env, name)], nil
}

// Set stores a secret of env and reports where it went ("keyring" or the
// fallback file's path). An empty value deletes it.
func (s *SecretStore) Set(env, name, value string) (where string, err error) {
	user := keyringUser(env, name)
	if value == "" {
		if s.Keyring != nil {
			// Fails when there is no keyring or no such entry: nothing to delete there.
			_ = s.Keyring.Delete(keyringService, user)
		}
		return s.File, s.updateFile(user, "")
	}
	if s.Keyring != nil {
		if err := s.Keyring.Set(keyringService, user, value); err == nil {
			// Don't leave an older copy behind in the file.
			return "keyring", s.updateFile(user, "")
		}
	}
	return s.File, s.updateFile(user, value)
}

// Load fills the secrets of cfg's environment that the environment variables
// have not already set.
func (s *SecretStore) Load(v *VippsConfig) error {
	if v.Env != EnvTest && v.Env != EnvProduction {
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{SecretClientSecret, &v.ClientSecret}, {SecretSubscriptionKey, &v.SubscriptionKey}} {
		if *f.dst != "" {
			continue
		}
		val, err := s.Get(v.Env, f.name)
		if err != nil {
			return err
		}
		*f.dst = val
	}
	return nil
}

func (s *SecretStore) readFile() (map[string]string, error) {
	b, err := os.ReadFile(s.File)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the secrets file: %w", err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(s.File)
		if err != nil {
			return nil, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("the secrets file %s can be read by other users (mode %04o); run: chmod 600 %s", s.File, st.Mode().Perm(), s.File)
		}
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		// The error text could quote the file's content: keep it out.
		return nil, fmt.Errorf("the secrets file %s is not valid JSON", s.File)
	}
	return m, nil
}

// updateFile sets (or, with an empty value, removes) one entry and removes the
// file when nothing is left in it.
func (s *SecretStore) updateFile(user, value string) error {
	m, err := s.readFile()
	if err != nil {
		return err
	}
	if _, had := m[user]; !had && value == "" {
		return nil
	}
	if value == "" {
		delete(m, user)
	} else {
		m[user] = value
	}
	if len(m) == 0 {
		if err := os.Remove(s.File); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.File), 0o700); err != nil {
		return err
	}
	tmp := s.File + ".tmp"
	_ = os.Remove(tmp) // WriteFile keeps the mode of an existing file
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.File)
}
