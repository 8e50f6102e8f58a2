package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring expected on stdout
		stderr string // substring expected on stderr
	}{
		{"top-level help", []string{"--help"}, 0, "Commands:", ""},
		{"help command", []string{"help"}, 0, "run the Vipps MobilePay simulator", ""},
		{"till help", []string{"till", "--help"}, 0, "-vipps-env", ""},
		{"till help without command", []string{"-h"}, 0, "Commands:", ""},
		{"sim help", []string{"sim", "--help"}, 0, "-subscription-key", ""},
		{"version", []string{"version"}, 0, "kasse ", ""},
		{"settings help", []string{"settings", "--help"}, 0, "-data-dir", ""},
		{"saft-keys help", []string{"saft-keys", "--help"}, 0, "-till", ""},
		{"saft-verify help", []string{"saft-verify", "--help"}, 0, "-key", ""},
		{"saft-verify unknown flag", []string{"saft-verify", "--bogus"}, 2, "", "-bogus"},
		{"saft-keys unknown flag", []string{"saft-keys", "export", "--bogus"}, 2, "", "-bogus"},
		{"saft-verify without key", []string{"saft-verify", "x.xml"}, 2, "", "usage: kasse saft-verify"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"unknown flag", []string{"sim", "--no-such-flag"}, 2, "", "flag provided but not defined: -no-such-flag"},
		{"unknown till flag", []string{"--bogus"}, 2, "", "-bogus"},
		{"stray argument", []string{"version", "extra"}, 2, "", `unexpected argument "extra"`},
		{"bad environment", []string{"till", "--vipps-env", "staging", "--data-dir", "DATADIR"}, 1, "", `unknown Vipps environment "staging"`},
		{"production without keys", []string{"till", "--vipps-env", "production", "--data-dir", "DATADIR"}, 1, "", "client secret is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KASSE_VIPPS_CLIENT_SECRET", "")
			dir := t.TempDir()
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "DATADIR", dir)
			}
			var out, errb bytes.Buffer
			code := run(args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout %q does not contain %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tt.stderr)
			}
		})
	}
}

// Asked for, the usage is printed once, on stdout.
func TestHelpPrintsOnce(t *testing.T) {
	for _, args := range [][]string{{"till", "--help"}, {"-help"}, {"backup", "-h"}, {"logs", "--help"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		if errb.Len() != 0 {
			t.Errorf("%v wrote to stderr: %q", args, errb.String())
		}
		if n := strings.Count(out.String(), "Usage:"); n != 1 {
			t.Errorf("%v printed the usage %d times:\n%s", args, n, out.String())
		}
	}
}

func TestLogsCommandSaysWhereTheLogIs(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"logs", "--data-dir", dir}, &out, &errb); code != 0 || strings.TrimSpace(out.String()) != filepath.Join(dir, "kasse.log") {
		t.Fatalf("kasse logs: exit %d, %q %q", code, out.String(), errb.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "kasse.log"), []byte("one\ntwo\nthree\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"logs", "--tail", "2", "--data-dir", dir}, &out, &errb); code != 0 || out.String() != "two\nthree\n" {
		t.Fatalf("kasse logs --tail 2: exit %d, %q %q", code, out.String(), errb.String())
	}
}

func TestMain(m *testing.M) {
	// A refusal to start is shown in a window when there is a display and
	// no terminal; the tests read it on stderr.
	os.Setenv("KASSE_NO_WINDOW", "1")
	os.Exit(m.Run())
}
